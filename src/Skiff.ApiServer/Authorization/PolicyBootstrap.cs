using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// Writes the bootstrap policy at server start (upstream's rbac/bootstrap-roles post-start hook): missing objects are
/// created, auto-updated ones get back what they lack (<see cref="PolicyReconciliation"/>).
/// </summary>
internal sealed partial class PolicyBootstrap(ObjectRegistry registry, ResourceCatalog catalog, ILogger<PolicyBootstrap> logger)
{
    private const string Group = "rbac.authorization.k8s.io";

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        var write = new WriteRequest("skiff-apiserver", FieldValidation.Strict, DryRun: false);
        foreach (V1ClusterRole role in BootstrapPolicy.ClusterRoles())
        {
            await EnsureAsync<V1ClusterRole>(Find("clusterroles"), role, PolicyReconciliation.Merge, write, cancellationToken);
        }

        foreach (V1Role role in BootstrapPolicy.Roles())
        {
            await EnsureAsync<V1Role>(Find("roles"), role, PolicyReconciliation.Merge, write, cancellationToken);
        }

        foreach (V1ClusterRoleBinding binding in BootstrapPolicy.ClusterRoleBindings())
        {
            await EnsureAsync<V1ClusterRoleBinding>(Find("clusterrolebindings"), binding, PolicyReconciliation.Merge, write, cancellationToken);
        }

        foreach (V1RoleBinding binding in BootstrapPolicy.RoleBindings())
        {
            await EnsureAsync<V1RoleBinding>(Find("rolebindings"), binding, PolicyReconciliation.Merge, write, cancellationToken);
        }
    }

    private async Task EnsureAsync<T>(ResourceInfo resource, T expected, Func<T, T, bool> merge, WriteRequest write, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        string name = expected.Metadata.Name;
        string? ns = expected.Metadata.NamespaceProperty;
        try
        {
            await registry.CreateAsync(resource, ns, ObjectCodec.Encode(expected), write, cancellationToken);
            LogCreated(logger, resource.Plural, name);
            return;
        }
        catch (StatusException ex) when (ex.Reason == "AlreadyExists")
        {
        }

        // Read first: most starts find nothing to add, and then nothing is written.
        T stored = (await registry.GetAsync(resource, ns, name, cancellationToken)).Deserialize<T>(SkiffJson.Options)!;
        if (!PolicyReconciliation.AutoUpdates(stored.Metadata) || !merge(stored, expected))
        {
            return;
        }

        await registry.UpdateAsync(resource, ns, name, null, current =>
        {
            T existing = current!.Deserialize<T>(SkiffJson.Options) ?? throw ApiErrors.Internal($"{resource.Plural} {name} cannot be read");
            merge(existing, expected);
            return ObjectCodec.Encode(existing);
        }, write, createIfMissing: false, cancellationToken);
        LogReconciled(logger, resource.Plural, name);
    }

    private ResourceInfo Find(string plural) => catalog.Find(Group, "v1", plural)!;

    [LoggerMessage(EventId = 2443, Level = LogLevel.Debug, Message = "RBAC bootstrap: created {Resource} {Name}.")]
    private static partial void LogCreated(ILogger logger, string resource, string name);

    [LoggerMessage(EventId = 2444, Level = LogLevel.Information, Message = "RBAC bootstrap: {Resource} {Name} got back the default policy it lacked.")]
    private static partial void LogReconciled(ILogger logger, string resource, string name);
}
