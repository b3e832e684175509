using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Informers;
using Skiff.TestKit.Server;

namespace Skiff.Machinery.Tests.Informers;

/// <summary>A metadata informer follows any resource by its ResourceInfo alone, keeping apiVersion, kind and metadata.</summary>
public sealed class MetadataInformerServerTests(SkiffServerFixture fixture) : IClassFixture<SkiffServerFixture>
{
    [Fact]
    public async Task Metadata_ConfigMapsAndDeployments_ListedWatchedAndIndexedByOwner()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        ResourceInfo configMaps = ResourceCatalog.BuiltIn.Find("", "v1", "configmaps")!;
        ResourceInfo deployments = ResourceCatalog.BuiltIn.Find("apps", "v1", "deployments")!;
        V1ConfigMap before = await client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "meta-before" }, Data = new Dictionary<string, string> { ["k"] = "v" } }, "default", cancellationToken: token);

        await using var factory = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        SharedInformer<PartialObjectMetadata> informer = factory.Metadata(configMaps);
        Assert.Same(informer, factory.Metadata(configMaps));
        Assert.NotSame(informer, factory.Metadata(deployments));
        var events = Channel.CreateUnbounded<string>();
        informer.AddEventHandler(new InformerHandler<PartialObjectMetadata>(
            onAdd: o => events.Writer.TryWrite($"add {ObjectKeys.Of(o)}"),
            onUpdate: (_, o) => events.Writer.TryWrite($"update {ObjectKeys.Of(o)}"),
            onDelete: o => events.Writer.TryWrite($"delete {ObjectKeys.Of(o)}")));
        factory.Start(token);
        await factory.WaitForCacheSyncAsync(token);

        // The list: items carry the resource's apiVersion and kind, and the metadata, whatever the list sent.
        PartialObjectMetadata listed = informer.Cache.Get("default", "meta-before")!;
        Assert.Equal(("v1", "ConfigMap", before.Metadata.Uid), (listed.ApiVersion, listed.Kind, listed.Metadata.Uid));

        // The watch: a new object with an owner shows up, findable by owner uid; a deletion removes it.
        await client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap
            {
                Metadata = new V1ObjectMeta
                {
                    Name = "meta-owned",
                    OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "meta-before", Uid = before.Metadata.Uid }],
                },
            },
            "default",
            cancellationToken: token);
        await NextAsync(events, "add default/meta-owned", token);
        PartialObjectMetadata owned = Assert.Single(informer.Cache.ByIndex(CacheIndexers.OwnerUid, before.Metadata.Uid));
        Assert.Equal(("meta-owned", "ConfigMap"), (owned.Metadata.Name, owned.Kind));

        await client.CoreV1.DeleteNamespacedConfigMapAsync("meta-owned", "default", cancellationToken: token);
        await NextAsync(events, "delete default/meta-owned", token);
        Assert.Empty(informer.Cache.ByIndex(CacheIndexers.OwnerUid, before.Metadata.Uid));
    }

    [Fact]
    public void ParseEvent_ErrorLine_CarriesTheStatus()
    {
        ResourceInfo pods = ResourceCatalog.BuiltIn.Find("", "v1", "pods")!;

        InformerWatchEvent<PartialObjectMetadata>? gone = MetadataListWatch.ParseEvent(
            """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","code":410}}""", pods);
        InformerWatchEvent<PartialObjectMetadata>? added = MetadataListWatch.ParseEvent(
            """{"type":"ADDED","object":{"metadata":{"name":"p","namespace":"ns","resourceVersion":"7"},"spec":{"containers":[]}}}""", pods);

        Assert.Equal((WatchEventType.Error, 410), (gone!.Type, gone.Status!.Code));
        Assert.Equal((WatchEventType.Added, "Pod", "v1", "ns/p", "7"), (added!.Type, added.Item!.Kind, added.Item.ApiVersion, ObjectKeys.Of(added.Item), added.Item.Metadata.ResourceVersion));
    }

    private static async Task NextAsync(Channel<string> events, string expected, CancellationToken token)
    {
        // Updates of other objects in "default" may interleave; wait for the one asked for.
        while (await events.Reader.ReadAsync(token) != expected)
        {
        }
    }
}
