# Deployments through the ReplicaSet and Deployment controllers: create, roll to a new image, history, undo. No agent runs,
# so a background loop plays the kubelet, marking every pod Running and Ready through pods/status.

play_kubelet() {
  while true; do
    for pod in $(kubectl get pods -l app=web -o jsonpath='{.items[*].metadata.name}' 2>/dev/null); do
      kubectl patch pod "$pod" --subresource=status --type=merge \
        -p '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}' >/dev/null 2>&1
    done
    sleep 0.5
  done
}

expect "create deployment" '^deployment.apps/web created$' -- kubectl create deployment web --image=nginx:1.27 --replicas=3
eventually "three pods appear" 30 -- bash -c '[ "$(kubectl get pods -l app=web -o name | wc -l)" -eq 3 ]'
expect "pods are owned by the ReplicaSet" '^ReplicaSet' -- kubectl get pods -l app=web -o 'jsonpath={.items[0].metadata.ownerReferences[0].kind}'
play_kubelet &
kubelet_pid=$!
expect "rollout status completes" 'successfully rolled out' -- timeout 60 kubectl rollout status deployment/web
expect "describe deployment lists the scaling event" 'ScalingReplicaSet +[0-9a-z]+ +deployment-controller +Scaled up replica set web-[a-z0-9]+ from 0 to 3' -- kubectl describe deployment web
eventually "describe replicaset lists the pod creations" 10 -- bash -c 'kubectl describe rs -l app=web | grep -E "SuccessfulCreate +[0-9a-z]+ +replicaset-controller +Created pod: web-"'
expect "set image" 'image updated' -- kubectl set image deployment/web nginx=nginx:1.28
expect "rollout status after set image" 'successfully rolled out' -- timeout 60 kubectl rollout status deployment/web
expect "pods run the new image" '^nginx:1.28( nginx:1.28)*$' -- kubectl get pods -l app=web -o 'jsonpath={.items[*].spec.containers[0].image}'
expect "history has two revisions" '^2 +<none>' -- kubectl rollout history deployment/web
expect "undo" 'rolled back' -- kubectl rollout undo deployment/web
expect "rollout status after undo" 'successfully rolled out' -- timeout 60 kubectl rollout status deployment/web
expect "history shows 2,3 after undo" '^3 +<none>' -- kubectl rollout history deployment/web
expect "two ReplicaSets, old one reused" '^2$' -- bash -c 'kubectl get rs -l app=web -o name | wc -l'
expect "scale to 1" 'scaled' -- kubectl scale deployment/web --replicas=1
eventually "one pod remains" 30 -- bash -c '[ "$(kubectl get pods -l app=web -o name | wc -l)" -eq 1 ]'
expect "rollout restart" 'restarted' -- kubectl rollout restart deployment/web
expect "rollout status after restart" 'successfully rolled out' -- timeout 60 kubectl rollout status deployment/web
expect "restart made a third ReplicaSet" '^3$' -- bash -c 'kubectl get rs -l app=web -o name | wc -l'
expect "pause" 'paused' -- kubectl rollout pause deployment/web
expect "set image while paused" 'image updated' -- kubectl set image deployment/web nginx=nginx:1.29
sleep 2
expect "paused deployment does not roll" '^3$' -- bash -c 'kubectl get rs -l app=web -o name | wc -l'
expect "resume" 'resumed' -- kubectl rollout resume deployment/web
expect "rollout status after resume" 'successfully rolled out' -- timeout 60 kubectl rollout status deployment/web
expect "resumed rollout runs the new image" '^nginx:1.29$' -- kubectl get pods -l app=web -o 'jsonpath={.items[*].spec.containers[0].image}'
kill "$kubelet_pid" 2>/dev/null
wait "$kubelet_pid" 2>/dev/null
