using k8s;
using k8s.Autorest;
using k8s.Models;
using Skiff.Agent.Network;
using Skiff.TestKit.Processes;

namespace Skiff.TestKit.Network;

public sealed partial class NetnsCluster
{
    /// <summary>
    /// Deletes every pod through the API (so the kubelets stop their containers and release mounts and addresses), then tears
    /// down each node, the server, the upstream DNS, the registry, the host's veth and the namespaces, then the temp directory.
    /// Every step runs even when an earlier one failed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await DeleteAllPodsAsync();
        foreach (NetnsNode node in _nodes)
        {
            await node.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _client?.Dispose();
        _upstream?.Dispose();
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }

        if (_hostLink)
        {
            await NetCommand.Host.TryRunAsync("ip", ["link", "delete", HostLinkName]);
        }

        foreach (NetworkNamespace netns in Enumerable.Reverse(_namespaces))
        {
            await netns.DisposeAsync();
        }

        await MountTable.UnmountUnderAsync(Root);
        TempDirectories.Delete(Root);
    }

    private async Task DeleteAllPodsAsync()
    {
        if (_client is null || _nodes.Count == 0)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            V1NamespaceList namespaces = await _client.CoreV1.ListNamespaceAsync(cancellationToken: timeout.Token);
            foreach (V1Namespace ns in namespaces.Items)
            {
                await _client.CoreV1.DeleteCollectionNamespacedPodAsync(ns.Metadata.Name, gracePeriodSeconds: 0, cancellationToken: timeout.Token);
            }

            while ((await _client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: timeout.Token)).Items.Count > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), timeout.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or HttpOperationException or HttpRequestException)
        {
            // The nodes' teardown kills what is left through containerd.
        }
    }
}
