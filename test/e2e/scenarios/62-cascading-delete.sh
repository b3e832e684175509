# Cascading deletion through the garbage collector: kubectl delete deployment with --cascade=background (the default),
# foreground and orphan, checked on the ReplicaSets and pods the Deployment and ReplicaSet controllers made. No agent and
# no scheduler run, so pods stay unscheduled and go at once when deleted (a finalizer stands in for a slow pod).

# count KIND APP: how many objects of KIND carry the label app=APP.
count() { kubectl get "$1" -l "app=$2" -o name 2>/dev/null | wc -l; }
export -f count

# Background (kubectl's default): the Deployment goes at once, then the collector deletes its ReplicaSet, then the pods.
expect "background: create deployment" '^deployment.apps/bg created$' -- kubectl create deployment bg --image=nginx:1.27 --replicas=2
eventually "background: two pods appear" 30 -- bash -c '[ "$(count pods bg)" -eq 2 ]'
expect "background: delete" '^deployment.apps "bg" deleted$' -- kubectl delete deployment bg --cascade=background
eventually "background: the ReplicaSet is collected" 30 -- bash -c '[ "$(count rs bg)" -eq 0 ]'
eventually "background: the pods are collected" 30 -- bash -c '[ "$(count pods bg)" -eq 0 ]'

# Foreground: the Deployment stays (deletionTimestamp, foregroundDeletion) until its ReplicaSet is gone, which stays until
# its pods are gone; a pod held by a finalizer holds the whole chain.
expect "foreground: create deployment" '^deployment.apps/fg created$' -- kubectl create deployment fg --image=nginx:1.27 --replicas=2
eventually "foreground: two pods appear" 30 -- bash -c '[ "$(count pods fg)" -eq 2 ]'
held=$(kubectl get pods -l app=fg -o jsonpath='{.items[0].metadata.name}')
expect "foreground: hold one pod with a finalizer" 'patched' -- kubectl patch pod "$held" --type=merge -p '{"metadata":{"finalizers":["e2e.skiff.dev/hold"]}}'
expect "foreground: delete without waiting" '^deployment.apps "fg" deleted$' -- kubectl delete deployment fg --cascade=foreground --wait=false
eventually "foreground: only the held pod is left, terminating" 30 -- bash -c \
  '[ "$(count pods fg)" -eq 1 ] && [ -n "$(kubectl get pods -l app=fg -o jsonpath="{.items[0].metadata.deletionTimestamp}")" ]'
expect "foreground: the ReplicaSet waits, deleting in foreground" '^foregroundDeletion$' -- \
  kubectl get rs -l app=fg -o 'jsonpath={.items[0].metadata.finalizers[*]}'
expect "foreground: the Deployment waits, deleting in foreground" '^foregroundDeletion$' -- \
  kubectl get deployment fg -o 'jsonpath={.metadata.finalizers[*]}'
expect "foreground: release the held pod" 'patched' -- kubectl patch pod "$held" --type=merge -p '{"metadata":{"finalizers":null}}'
eventually "foreground: the Deployment goes last" 30 -- bash -c '! kubectl get deployment fg >/dev/null 2>&1'
expect_eq "foreground: no ReplicaSet left" "0" -- count rs fg
expect_eq "foreground: no pod left" "0" -- count pods fg

# Foreground with kubectl waiting: when the delete returns, the dependents are already gone.
expect "foreground: create deployment again" '^deployment.apps/fg2 created$' -- kubectl create deployment fg2 --image=nginx:1.27 --replicas=2
eventually "foreground: two pods appear again" 30 -- bash -c '[ "$(count pods fg2)" -eq 2 ]'
expect "foreground: delete and wait" '^deployment.apps "fg2" deleted$' -- timeout 60 kubectl delete deployment fg2 --cascade=foreground
expect_eq "foreground: dependents were gone before the owner" "0 0" -- bash -c 'echo "$(count rs fg2) $(count pods fg2)"'

# Orphan: the Deployment goes, its ReplicaSet stays without the ownerReference, and keeps its pods.
expect "orphan: create deployment" '^deployment.apps/or created$' -- kubectl create deployment or --image=nginx:1.27 --replicas=2
eventually "orphan: two pods appear" 30 -- bash -c '[ "$(count pods or)" -eq 2 ]'
expect "orphan: delete" '^deployment.apps "or" deleted$' -- timeout 60 kubectl delete deployment or --cascade=orphan
expect_eq "orphan: the ReplicaSet stays" "1" -- count rs or
expect_eq "orphan: the ReplicaSet has no owner" "" -- kubectl get rs -l app=or -o 'jsonpath={.items[*].metadata.ownerReferences}'
expect_eq "orphan: the pods stay" "2" -- count pods or
expect "orphan: pods still belong to the ReplicaSet" '^ReplicaSet ReplicaSet$' -- kubectl get pods -l app=or -o 'jsonpath={.items[*].metadata.ownerReferences[0].kind}'
expect "orphan: deleting the ReplicaSet now" 'deleted' -- kubectl delete rs -l app=or
eventually "orphan: its pods are collected" 30 -- bash -c '[ "$(count pods or)" -eq 0 ]'
