using k8s.Models;
using Skiff.Machinery.Quota;

namespace Skiff.Machinery.Tests.Quota;

public sealed class QuotaUsageTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Compute_PodsWithRequestsAndLimits_SumsInTheQuantitiesOwnFormat()
    {
        V1ResourceQuota quota = Quota(("pods", "10"), ("requests.cpu", "4"), ("cpu", "4"), ("requests.memory", "4Gi"), ("limits.cpu", "8"), ("limits.memory", "8Gi"));
        V1Pod[] pods =
        [
            Pod("a", requests: [("cpu", "100m"), ("memory", "128Mi")], limits: [("cpu", "1"), ("memory", "256Mi")]),
            Pod("b", requests: [("cpu", "250m"), ("memory", "64Mi")], limits: [("cpu", "500m"), ("memory", "128Mi")]),
        ];

        Dictionary<string, ResourceQuantity> used = QuotaUsage.Compute(quota, Inputs(pods), s_now);

        Assert.Equal("2", used["pods"].ToString());
        Assert.Equal("350m", used["requests.cpu"].ToString());
        Assert.Equal("350m", used["cpu"].ToString());
        Assert.Equal("192Mi", used["requests.memory"].ToString());
        Assert.Equal("1500m", used["limits.cpu"].ToString());
        Assert.Equal("384Mi", used["limits.memory"].ToString());
    }

    [Fact]
    public void Compute_FinishedPodsAndPodsPastTheirGracePeriod_UseNothing()
    {
        V1ResourceQuota quota = Quota(("pods", "10"), ("requests.cpu", "4"));
        V1Pod done = Pod("done", requests: [("cpu", "1")]);
        done.Status.Phase = "Succeeded";
        V1Pod expired = Pod("expired", requests: [("cpu", "1")]);
        expired.Metadata.DeletionTimestamp = s_now.UtcDateTime.AddMinutes(-2);
        expired.Metadata.DeletionGracePeriodSeconds = 30;
        V1Pod stopping = Pod("stopping", requests: [("cpu", "200m")]);
        stopping.Metadata.DeletionTimestamp = s_now.UtcDateTime.AddSeconds(-10);
        stopping.Metadata.DeletionGracePeriodSeconds = 30;

        Dictionary<string, ResourceQuantity> used = QuotaUsage.Compute(quota, Inputs([done, expired, stopping]), s_now);

        Assert.Equal("1", used["pods"].ToString());
        Assert.Equal("200m", used["requests.cpu"].ToString());
    }

    [Fact]
    public void Compute_InitContainerLargerThanContainers_CountsTheLarger()
    {
        V1Pod pod = Pod("a", requests: [("cpu", "100m")]);
        pod.Spec.InitContainers = [new V1Container { Name = "init", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("1") } } }];

        Dictionary<string, ResourceQuantity> used = QuotaUsage.Compute(Quota(("requests.cpu", "4")), Inputs([pod]), s_now);

        Assert.Equal(1m, used["requests.cpu"].ToDecimal());
    }

    [Fact]
    public void Compute_ObjectCounts_ServicesClaimsAndCountResources()
    {
        V1ResourceQuota quota = Quota(
            ("services", "5"), ("services.loadbalancers", "1"), ("services.nodeports", "2"), ("persistentvolumeclaims", "3"), ("requests.storage", "10Gi"),
            ("fast.storageclass.storage.k8s.io/requests.storage", "5Gi"), ("configmaps", "10"), ("count/deployments.apps", "3"), ("count/widgets.example.com", "1"),
            ("nvidia.com/gpu", "1"));
        V1Service[] services =
        [
            new() { Spec = new V1ServiceSpec { Type = "ClusterIP", Ports = [new V1ServicePort { Port = 80 }] } },
            new() { Spec = new V1ServiceSpec { Type = "NodePort", Ports = [new V1ServicePort { Port = 80 }, new V1ServicePort { Port = 443 }] } },
            new() { Spec = new V1ServiceSpec { Type = "LoadBalancer", Ports = [new V1ServicePort { Port = 80 }] } },
        ];
        V1PersistentVolumeClaim[] claims = [Claim("1Gi", "fast"), Claim("500Mi", null)];
        var inputs = new QuotaUsage.Inputs([], services, claims, resource => resource switch
        {
            "configmaps" => 4,
            "deployments.apps" => 2,
            _ => null,
        });

        Dictionary<string, ResourceQuantity> used = QuotaUsage.Compute(quota, inputs, s_now);

        Assert.Equal("3", used["services"].ToString());
        Assert.Equal("1", used["services.loadbalancers"].ToString());
        Assert.Equal("3", used["services.nodeports"].ToString());
        Assert.Equal("2", used["persistentvolumeclaims"].ToString());
        Assert.Equal("1524Mi", used["requests.storage"].ToString());
        Assert.Equal("1Gi", used["fast.storageclass.storage.k8s.io/requests.storage"].ToString());
        Assert.Equal("4", used["configmaps"].ToString());
        Assert.Equal("2", used["count/deployments.apps"].ToString());
        Assert.False(used.ContainsKey("count/widgets.example.com"));
        Assert.False(used.ContainsKey("nvidia.com/gpu"));
    }

    [Fact]
    public void Compute_NoPods_ReportsZero()
    {
        Dictionary<string, ResourceQuantity> used = QuotaUsage.Compute(Quota(("pods", "1"), ("requests.memory", "1Gi")), Inputs([]), s_now);

        Assert.Equal(("0", "0"), (used["pods"].ToString(), used["requests.memory"].ToString()));
    }

    [Theory]
    [InlineData("BestEffort", "best-effort")]
    [InlineData("NotBestEffort", "burstable,deadline")]
    [InlineData("Terminating", "deadline")]
    [InlineData("NotTerminating", "best-effort,burstable")]
    public void Compute_Scopes_CountOnlyThePodsInScope(string scope, string expected)
    {
        V1ResourceQuota quota = Quota(("pods", "10"));
        quota.Spec.Scopes = [scope];
        V1Pod bestEffort = Pod("best-effort");
        V1Pod burstable = Pod("burstable", requests: [("cpu", "100m")]);
        V1Pod deadline = Pod("deadline", requests: [("memory", "1Mi")]);
        deadline.Spec.ActiveDeadlineSeconds = 60;
        V1Pod[] pods = [bestEffort, burstable, deadline];

        Dictionary<string, ResourceQuantity> used = QuotaUsage.Compute(quota, Inputs(pods), s_now);

        Assert.Equal(expected.Split(',').Length, used["pods"].ToDecimal());
        Assert.Equal(expected, string.Join(",", pods.Where(p => QuotaScopes.Matches(quota, p)).Select(p => p.Metadata.Name)));
    }

    private static QuotaUsage.Inputs Inputs(V1Pod[] pods) => new(pods, [], [], _ => null);

    private static V1ResourceQuota Quota(params (string Name, string Value)[] hard) => new()
    {
        Metadata = new V1ObjectMeta { Name = "quota", NamespaceProperty = "default" },
        Spec = new V1ResourceQuotaSpec { Hard = hard.ToDictionary(h => h.Name, h => new ResourceQuantity(h.Value)) },
    };

    private static V1Pod Pod(string name, (string, string)[]? requests = null, (string, string)[]? limits = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1PodSpec
        {
            Containers =
            [
                new V1Container
                {
                    Name = "main",
                    Resources = new V1ResourceRequirements
                    {
                        Requests = requests?.ToDictionary(r => r.Item1, r => new ResourceQuantity(r.Item2)),
                        Limits = limits?.ToDictionary(r => r.Item1, r => new ResourceQuantity(r.Item2)),
                    },
                },
            ],
        },
        Status = new V1PodStatus { Phase = "Running" },
    };

    private static V1PersistentVolumeClaim Claim(string storage, string? storageClass) => new()
    {
        Spec = new V1PersistentVolumeClaimSpec
        {
            StorageClassName = storageClass,
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(storage) } },
        },
    };
}
