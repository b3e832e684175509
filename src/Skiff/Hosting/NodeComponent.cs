using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Skiff.Hosting;

/// <summary>Runs the agent's network parts beside the kubelet: one that fails is logged and started again with back-off (1 s to 30 s).</summary>
internal static partial class NodeComponent
{
    public static async Task RunAsync(string name, Func<CancellationToken, Task> run, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        TimeSpan delay = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            long started = time.GetTimestamp();
            try
            {
                await run(cancellationToken);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A run that lasted a while was healthy: its failure starts the back-off over.
                if (time.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
                {
                    delay = TimeSpan.FromSeconds(1);
                }

                LogFailed(logger, e, name, delay.TotalSeconds);
            }

            try
            {
                await Task.Delay(delay, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    /// <summary>Sets (or, with a null value, removes) one annotation on the Node by merge patch; failures are logged, not thrown.</summary>
    public static async Task AnnotateAsync(IKubernetes client, string nodeName, string key, string? value, ILogger logger, CancellationToken cancellationToken)
    {
        var body = new System.Text.Json.Nodes.JsonObject
        {
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["annotations"] = new System.Text.Json.Nodes.JsonObject { [key] = value } },
        };
        var patch = new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch);
        try
        {
            await client.CoreV1.PatchNodeAsync(patch, nodeName, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            LogAnnotateFailed(logger, key, nodeName, e.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 507, Level = LogLevel.Error, Message = "The node's {Component} failed; starting it again in {Seconds:F0} s")]
    private static partial void LogFailed(ILogger logger, Exception exception, string component, double seconds);

    [LoggerMessage(EventId = 508, Level = LogLevel.Warning, Message = "Could not set annotation {Key} on node {NodeName}: {Reason}")]
    private static partial void LogAnnotateFailed(ILogger logger, string key, string nodeName, string reason);
}
