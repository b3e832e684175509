using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Tests.CustomResources;

/// <summary>The CronTab CRD of the upstream documentation, in two versions (v1 stored), with status and scale subresources.</summary>
internal static class CrdFixtures
{
    public const string Name = "crontabs.stable.example.com";

    public static JsonObject CronTabJson(string scope = "Namespaced", bool accepted = false)
    {
        string schema = """
            {"type":"object","properties":{
              "spec":{"type":"object","properties":{
                "cronSpec":{"type":"string","description":"The cron schedule."},
                "image":{"type":"string"},
                "replicas":{"type":"integer","minimum":0,"maximum":10,"default":1},
                "extra":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
              "status":{"type":"object","properties":{"replicas":{"type":"integer"},"labelSelector":{"type":"string"}}}}}
            """;
        JsonObject crd = JsonNode.Parse($$$$"""
            {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
             "metadata":{"name":"{{{{Name}}}}"},
             "spec":{"group":"stable.example.com","scope":"{{{{scope}}}}",
               "names":{"plural":"crontabs","singular":"crontab","kind":"CronTab","listKind":"CronTabList","shortNames":["ct"],"categories":["all"]},
               "versions":[
                 {"name":"v1beta1","served":true,"storage":false,"schema":{"openAPIV3Schema":{{{{schema}}}}},"subresources":{"status":{}}},
                 {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{{{{schema}}}}},
                  "subresources":{"status":{},"scale":{"specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas","labelSelectorPath":".status.labelSelector"}},
                  "additionalPrinterColumns":[{"name":"Spec","type":"string","jsonPath":".spec.cronSpec"},{"name":"Replicas","type":"integer","jsonPath":".spec.replicas"}]}]}}
            """)!.AsObject();
        if (accepted)
        {
            crd["status"] = new JsonObject { ["acceptedNames"] = crd["spec"]!["names"]!.DeepClone() };
        }

        return crd;
    }

    public static V1CustomResourceDefinition CronTab(string scope = "Namespaced") =>
        CronTabJson(scope, accepted: true).Deserialize<V1CustomResourceDefinition>(SkiffJson.Options)!;

    public static JsonObject Object(string name, string apiVersion = "stable.example.com/v1", string extra = "") =>
        JsonNode.Parse($$$$"""
            {"apiVersion":"{{{{apiVersion}}}}","kind":"CronTab","metadata":{"name":"{{{{name}}}}"},
             "spec":{"cronSpec":"* * * * */5","image":"my-cron-image","replicas":1{{{{extra}}}} }}
            """)!.AsObject();
}
