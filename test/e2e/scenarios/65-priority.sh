# PriorityClasses and the Priority admission step: the system classes exist from the start, a pod's priorityClassName
# becomes spec.priority (the number the scheduler orders and preempts by), and upstream's refusals come back verbatim.

pod_yaml() { # NAME [SPEC-LINES...]: a one-container pod in t-prio with the extra spec lines
  local name=$1
  shift
  printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: t-prio\nspec:\n' "$name"
  for line in "$@"; do printf '  %s\n' "$line"; done
  printf '  containers:\n  - name: app\n    image: nginx:1.27\n'
}

eventually "system classes exist from the start" 20 -- kubectl get priorityclass system-node-critical system-cluster-critical
expect "kubectl get priorityclasses lists system-node-critical" '^system-node-critical +2000001000 +false +[0-9a-z]+ +PreemptLowerPriority$' -- kubectl get priorityclasses
expect "kubectl get priorityclasses lists system-cluster-critical" '^system-cluster-critical +2000000000 +false' -- kubectl get pc
expect "system class keeps upstream's description" '^Used for system critical pods that must not be moved from their current node\.$' -- kubectl get pc system-node-critical -o 'jsonpath={.description}'
expect_fail "system class cannot be deleted" 'priorityclasses.scheduling.k8s.io "system-cluster-critical" is forbidden: this is a system priority class and cannot be deleted' -- kubectl delete pc system-cluster-critical

expect "create a class" '^priorityclass.scheduling.k8s.io/high created$' -- kubectl create priorityclass high --value=1000 --description="batch that matters"
expect_eq "preemptionPolicy defaults to PreemptLowerPriority" 'PreemptLowerPriority' -- kubectl get pc high -o 'jsonpath={.preemptionPolicy}'
expect "create a non-preempting class" 'priorityclass.scheduling.k8s.io/polite created' -- kubectl create priorityclass polite --value=500 --preemption-policy=Never
expect_fail "a value above 1000000000 is refused" 'PriorityClass.scheduling.k8s.io "huge" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000' -- kubectl create priorityclass huge --value=1000000001
expect_fail "system- names are reserved" "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only" -- kubectl create priorityclass system-mine --value=10
expect_fail "value is immutable" 'value: Forbidden: may not be changed in an update' -- kubectl patch pc high --type=merge -p '{"value":2000}'
expect "description may change" 'patched' -- kubectl patch pc high --type=merge -p '{"description":"renamed"}'

expect "create namespace" '^namespace/t-prio created$' -- kubectl create namespace t-prio
pod_yaml web "priorityClassName: high" >web.yaml
expect "create a pod with the class" '^pod/web created$' -- kubectl apply -f web.yaml
expect_eq "pod gets the class value in spec.priority" '1000' -- kubectl -n t-prio get pod web -o 'jsonpath={.spec.priority}'
expect_eq "pod gets the class preemptionPolicy" 'PreemptLowerPriority' -- kubectl -n t-prio get pod web -o 'jsonpath={.spec.preemptionPolicy}'
pod_yaml quiet "priorityClassName: polite" >quiet.yaml
expect "create a pod with the non-preempting class" '^pod/quiet created$' -- kubectl apply -f quiet.yaml
expect_eq "it gets preemptionPolicy Never" '500 Never' -- kubectl -n t-prio get pod quiet -o 'jsonpath={.spec.priority} {.spec.preemptionPolicy}'
pod_yaml dns "priorityClassName: system-cluster-critical" >dns.yaml
expect "a pod may use a system class" '^pod/dns created$' -- kubectl apply -f dns.yaml
expect_eq "it gets 2000000000" '2000000000' -- kubectl -n t-prio get pod dns -o 'jsonpath={.spec.priority}'

pod_yaml x "priorityClassName: foo" >unknown.yaml
expect_fail "an unknown class is refused" 'Error from server \(Forbidden\).*pods "x" is forbidden: no PriorityClass with name foo was found' -- kubectl apply -f unknown.yaml
pod_yaml pinned "priorityClassName: high" "priority: 5" >mismatch.yaml
expect_fail "a different spec.priority is refused" 'pods "pinned" is forbidden: the integer value of priority \(5\) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name' -- kubectl apply -f mismatch.yaml
expect_fail "spec.priority is immutable" 'Forbidden: pod updates may not change fields' -- kubectl -n t-prio patch pod web --type=merge -p '{"spec":{"priority":7}}'

kubectl run plain -n t-prio --image=nginx:1.27 >/dev/null 2>&1
expect_eq "without a class and no default a pod gets 0" '0' -- kubectl -n t-prio get pod plain -o 'jsonpath={.spec.priority}'
expect "create a globalDefault class" 'priorityclass.scheduling.k8s.io/normal created' -- kubectl create priorityclass normal --value=100 --global-default
expect_fail "a second globalDefault is refused" 'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is already marked as default. Only one default can exist' -- kubectl create priorityclass other --value=200 --global-default
expect "a pod without a class" '^pod/later created$' -- kubectl run later -n t-prio --image=nginx:1.27
expect_eq "gets the default class and its value" 'normal 100' -- kubectl -n t-prio get pod later -o 'jsonpath={.spec.priorityClassName} {.spec.priority}'
