using System.Globalization;
using System.Text;
using k8s.Models;
using Skiff.Bench.Api;

namespace Skiff.Bench.Controllers;

/// <summary>
/// The harness's stand-in for kubelets: every pod the watch shows that is not yet Ready (and not being deleted) is marked
/// Running and Ready through pods/status, from several clients at once, as many kubelets would.
/// </summary>
internal sealed class ReadyKubelet : IAsyncDisposable
{
    private readonly ApiClient _api;
    private readonly string _ns;
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private int _patched;

    public ReadyKubelet(ApiClient api, PodWatch pods, string ns, int workers)
    {
        _api = api;
        _ns = ns;
        _workers = [.. Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkAsync(pods, _stop.Token)))];
    }

    public int Patched => Volatile.Read(ref _patched);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _stop.Dispose();
    }

    private async Task WorkAsync(PodWatch pods, CancellationToken cancellationToken)
    {
        try
        {
            while (await pods.Changes.WaitToReadAsync(cancellationToken))
            {
                while (pods.Changes.TryRead(out V1Pod? pod))
                {
                    if (pod.Metadata.DeletionTimestamp is not null || IsReady(pod))
                    {
                        continue;
                    }

                    lock (_lock)
                    {
                        if (!_done.Add(pod.Metadata.Name))
                        {
                            continue;
                        }
                    }

                    await MarkReadyAsync(pod, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    private async Task MarkReadyAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        string now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        byte[] body = Encoding.UTF8.GetBytes(
            $$$"""{"status":{"phase":"Running","startTime":"{{{now}}}","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"{{{now}}}"}]}}""");
        ApiResponse response = await _api.MergePatchAsync($"/api/v1/namespaces/{_ns}/pods/{pod.Metadata.Name}/status", body, cancellationToken);
        // A pod deleted by the rollout in the meantime is fine (404); anything else would stall the rollout, so it is fatal.
        if (response.Status != 404)
        {
            ApiClient.EnsureSuccess(response, "mark pod ready");
            Interlocked.Increment(ref _patched);
        }
    }

    private static bool IsReady(V1Pod pod) =>
        pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
}
