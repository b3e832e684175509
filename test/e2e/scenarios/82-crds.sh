# CustomResourceDefinitions with the real kubectl and no agent: a CRD's kind is served as soon as it is applied (discovery,
# OpenAPI, api-resources, explain), its objects are created, read in two versions, listed, watched, patched, scaled through
# /scale and deleted; the status subresource has its own rules; a name conflict is reported; deleting the CRD deletes its
# objects and the kind.

schema='
        type: object
        properties:
          spec:
            type: object
            properties:
              cronSpec:
                type: string
                description: The cron schedule.
                pattern: "^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"
              image:
                type: string
              replicas:
                type: integer
                minimum: 0
                maximum: 10
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            properties:
              replicas:
                type: integer
              labelSelector:
                type: string'

cat >crd.yaml <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    listKind: CronTabList
    shortNames: [ct]
    categories: [all]
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:$schema
    subresources:
      status: {}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:$schema
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.labelSelector
    additionalPrinterColumns:
    - name: Spec
      type: string
      jsonPath: .spec.cronSpec
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
YAML

cat >crontab.yaml <<'YAML'
apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: tab
spec:
  cronSpec: "* * * * */5"
  image: my-cron-image
  replicas: 1
  extra:
    nested: [1, 2.5, "three"]
YAML

cat >cluster-crd.yaml <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.tools.example.com
spec:
  group: tools.example.com
  scope: Cluster
  names:
    plural: widgets
    singular: widget
    kind: Widget
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
YAML

cat >conflict-crd.yaml <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabcopies.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabcopies
    kind: CronTab
    listKind: CronTabCopyList
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
YAML

# Creating the CRD serves the kind at once: no wait, kubectl's discovery finds it on the next command.
expect "apply creates the CRD" 'customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created' -- kubectl apply -f crd.yaml
expect "the kind is listable right after the apply" 'No resources found' -- kubectl get crontabs
expect "the CRD becomes Established" 'condition met' -- kubectl wait --for=condition=Established crd/crontabs.stable.example.com --timeout=10s
expect_eq "NamesAccepted is True with NoConflicts" 'True NoConflicts' -- kubectl get crd crontabs.stable.example.com -o 'jsonpath={.status.conditions[?(@.type=="NamesAccepted")].status} {.status.conditions[?(@.type=="NamesAccepted")].reason}'
expect_eq "acceptedNames and storedVersions are reported" 'ct v1' -- kubectl get crd crontabs.stable.example.com -o 'jsonpath={.status.acceptedNames.shortNames[0]} {.status.storedVersions[0]}'
expect_eq "the CRD carries the cleanup finalizer" 'customresourcecleanup.apiextensions.k8s.io' -- kubectl get crd crontabs.stable.example.com -o 'jsonpath={.metadata.finalizers[0]}'
expect "api-resources lists the kind with its short name" 'crontabs +ct +stable\.example\.com/v1 +true +CronTab' -- kubectl api-resources --api-group=stable.example.com
expect "explain reads the CRD's schema" 'cronSpec.*<string>' -- kubectl explain crontabs.spec
expect "explain of a field shows its description" 'The cron schedule' -- kubectl explain crontabs.spec.cronSpec

# Objects: create, get by short name, every field round-trips.
expect "apply creates a custom object" 'crontab.stable.example.com/tab created' -- kubectl apply -f crontab.yaml
expect "get by short name" '^tab ' -- kubectl get ct --no-headers
printf '%s' '{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"raw"},"spec":{"image":"i","extra":{"nested":[1,2.50,"three"],"big":12345678901234567890}}}' >raw.json
expect "a raw JSON create" '"name":"raw"' -- kubectl create --raw /apis/stable.example.com/v1/namespaces/default/crontabs -f raw.json
expect "fields unknown to Skiff round-trip byte for byte" '"extra":\{"nested":\[1,2\.50,"three"\],"big":12345678901234567890\}' -- kubectl get --raw /apis/stable.example.com/v1/namespaces/default/crontabs/raw
kubectl delete crontab raw >/dev/null
expect_eq "generation starts at 1" '1' -- kubectl get crontab tab -o 'jsonpath={.metadata.generation}'
expect_eq "the other version reads the same object" 'stable.example.com/v1beta1 my-cron-image' -- kubectl get crontabs.v1beta1.stable.example.com tab -o 'jsonpath={.apiVersion} {.spec.image}'
expect "the object is in 'get all'" 'crontab.stable.example.com/tab' -- kubectl get all
expect "a second apply configures it (merge patch)" 'crontab.stable.example.com/tab configured' -- bash -c "sed 's/my-cron-image/second-image/' crontab.yaml | kubectl apply -f -"
expect_eq "the apply changed the image and bumped the generation" 'second-image 2' -- kubectl get crontab tab -o 'jsonpath={.spec.image} {.metadata.generation}'

# Patches: merge and JSON patch work, strategic merge is refused as upstream refuses it.
expect "merge patch" 'patched' -- kubectl patch crontab tab --type=merge -p '{"spec":{"image":"merged"}}'
expect "JSON patch" 'patched' -- kubectl patch crontab tab --type=json -p '[{"op":"replace","path":"/spec/cronSpec","value":"*/5 * * * *"}]'
expect_eq "both patches applied" 'merged */5 * * * *' -- kubectl get crontab tab -o 'jsonpath={.spec.image} {.spec.cronSpec}'
expect_fail "strategic merge patch is refused with 415" 'UnsupportedMediaType|unknown format - accepted media types include: application/json-patch\+json, application/merge-patch\+json, application/apply-patch\+yaml' -- kubectl patch crontab tab --type=strategic -p '{"spec":{"image":"x"}}'
expect "server-side apply" 'serverside-applied' -- bash -c "sed 's/my-cron-image/applied-image/' crontab.yaml | kubectl apply --server-side --force-conflicts -f -"
expect_eq "server-side apply changed the image" 'applied-image' -- kubectl get crontab tab -o 'jsonpath={.spec.image}'

# Status subresource: the main resource ignores status, /status changes only status, and a status change keeps the generation.
gen="$(kubectl get crontab tab -o 'jsonpath={.metadata.generation}')"
expect "status is written through /status" 'patched' -- kubectl patch crontab tab --subresource=status --type=merge -p '{"status":{"replicas":2,"labelSelector":"app=cron"},"spec":{"image":"ignored"}}'
expect_eq "/status changed status only, generation kept" "2 applied-image $gen" -- kubectl get crontab tab -o 'jsonpath={.status.replicas} {.spec.image} {.metadata.generation}'
expect "a status change on the main resource is accepted" 'patched' -- kubectl patch crontab tab --type=merge -p '{"status":{"replicas":9}}'
expect_eq "but ignored" '2' -- kubectl get crontab tab -o 'jsonpath={.status.replicas}'

# Scale through /scale (autoscaling/v1 Scale from the CRD's paths).
expect "kubectl scale" 'scaled' -- kubectl scale crontab tab --replicas=3
expect_eq "scale set spec.replicas" '3' -- kubectl get crontab tab -o 'jsonpath={.spec.replicas}'
expect "the Scale carries status replicas and the selector" '"replicas":2,"selector":"app=cron"' -- kubectl get --raw /apis/stable.example.com/v1/namespaces/default/crontabs/tab/scale

# Watch sees a change.
timeout 20 kubectl get crontabs --watch-only -o 'custom-columns=NAME:.metadata.name,IMAGE:.spec.image' --no-headers >watch.out 2>&1 &
watcher=$!
# Patched until the watch (which may not have started yet) reports a change.
eventually "watch reports the change" 15 -- bash -c "kubectl patch crontab tab --type=merge -p '{\"spec\":{\"image\":\"watched-'\$RANDOM'\"}}' >/dev/null && sleep 0.3 && grep -E 'tab +watched-' watch.out"
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true

# Cluster scope.
expect "a cluster-scoped CRD" 'created' -- kubectl apply -f cluster-crd.yaml
expect "its kind is served at once" 'widget.tools.example.com/w1 created' -- bash -c 'printf "apiVersion: tools.example.com/v1alpha1\nkind: Widget\nmetadata:\n  name: w1\nsize: 3\n" | kubectl apply -f -'
expect_eq "a cluster-scoped object has no namespace" ' 3' -- kubectl get widget w1 -o 'jsonpath={.metadata.namespace} {.size}'
expect "api-resources says it is cluster-scoped" 'widgets +tools\.example\.com/v1alpha1 +false +Widget' -- kubectl api-resources --api-group=tools.example.com

# A CRD whose kind is taken.
expect "a conflicting CRD is stored" 'created' -- kubectl apply -f conflict-crd.yaml
eventually "its names are not accepted (KindConflict)" 10 -- bash -c "kubectl get crd crontabcopies.stable.example.com -o 'jsonpath={.status.conditions[?(@.type==\"NamesAccepted\")].status} {.status.conditions[?(@.type==\"NamesAccepted\")].reason}' | grep -x 'False KindConflict'"
expect_fail "its plural is not served" "doesn't have a resource type" -- kubectl get crontabcopies
# Gone before the deletion checks below: once CronTab is free again, this CRD would take the kind.
kubectl delete crd crontabcopies.stable.example.com >/dev/null

# A kind served only in a version of the group that is not the preferred one (v1 is), with its own listKind.
cat >note-crd.yaml <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: notes.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: notes
    kind: Note
    listKind: NoteCatalog
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
YAML
expect "a CRD in a non-preferred version" 'created' -- kubectl apply -f note-crd.yaml
expect "its list has the CRD's listKind" '"kind":"NoteCatalog"' -- kubectl get --raw /apis/stable.example.com/v1alpha1/namespaces/default/notes

# Namespace deletion deletes the custom objects in it, in every version of the group.
kubectl create namespace scratch >/dev/null
kubectl apply -n scratch -f crontab.yaml >/dev/null
printf 'apiVersion: stable.example.com/v1alpha1\nkind: Note\nmetadata:\n  name: n1\ntext: hi\n' | kubectl apply -n scratch -f - >/dev/null
expect "a custom object in a namespace being deleted" 'deleted' -- kubectl delete namespace scratch --timeout=30s
expect_eq "is gone with it" '' -- kubectl get crontabs -n scratch -o name
expect_eq "so is the object of the non-preferred version" '' -- kubectl get notes -n scratch -o name
kubectl delete crd notes.stable.example.com >/dev/null

# Deleting the CRD deletes its objects, then the kind.
kubectl create namespace other >/dev/null
kubectl apply -n other -f crontab.yaml >/dev/null
expect "deleting the CRD completes" 'deleted' -- kubectl delete crd crontabs.stable.example.com --timeout=30s
# kubectl may still have the kind in its discovery cache: then the list itself is refused.
expect_fail "the kind is no longer served" "doesn't have a resource type \"crontabs\"|could not find the requested resource" -- kubectl get crontabs
expect_fail "its URL is a 404" 'NotFound|could not find' -- kubectl get --raw /apis/stable.example.com/v1/namespaces/default/crontabs
expect "a new CRD of that name" 'created' -- kubectl apply -f crd.yaml
eventually "serves again" 10 -- kubectl get crontabs -A
expect "with none of the old objects" 'No resources found' -- kubectl get crontabs -A

# the schema refuses a bad object (422 with the field), prints its columns, and non-structural CRDs are refused.
expect_fail "a bad object is refused by the schema" 'spec.replicas.*(less than or equal to 10|should be less than or equal to 10)' -- bash -c "sed 's/replicas: 1/replicas: 11/' crontab.yaml | kubectl apply -f -"
kubectl apply -f crontab.yaml >/dev/null 2>&1
expect "printer columns in kubectl get" 'NAME +SPEC +REPLICAS +AGE' -- kubectl get crontabs
cat >nonstructural-crd.yaml <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.tools.example.com
spec:
  group: tools.example.com
  scope: Cluster
  names:
    plural: gadgets
    kind: Gadget
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            properties:
              size:
                type: integer
YAML
expect_fail "a non-structural CRD is refused" 'properties\[spec\]\.type: Required value: must not be empty' -- kubectl apply -f nonstructural-crd.yaml
