using System.Runtime.CompilerServices;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Skiff.Store.Etcd;

// One gRPC watch stream per WatchAsync. When the stream breaks (etcd restarted, the connection dropped) a new stream starts
// right after the last revision delivered, so the caller sees neither a gap nor a duplicate.
internal sealed partial class EtcdStore
{
    private static readonly TimeSpan s_maxReconnectDelay = TimeSpan.FromSeconds(5);

    public async IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        string fullPrefix = _prefix + prefix;
        long delivered = afterRevision;
        int failures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call = _watch.Watch(new CallOptions(cancellationToken: cancellationToken));
            var create = new WatchCreateRequest
            {
                Key = ByteString.CopyFromUtf8(fullPrefix),
                RangeEnd = RangeEndOf(fullPrefix),
                StartRevision = delivered + 1,
                PrevKv = true,
            };
            if (await TryWriteAsync(call, new WatchRequest { CreateRequest = create }, cancellationToken))
            {
                while (await TryReadAsync(call, cancellationToken) is { } response)
                {
                    if (response.CompactRevision > 0)
                    {
                        LogWatchCompacted(_logger, prefix, delivered, response.CompactRevision);
                        throw new CompactedException(delivered, response.CompactRevision);
                    }

                    if (response.Canceled)
                    {
                        LogWatchCanceled(_logger, prefix, response.CancelReason);
                        break;
                    }

                    foreach (Mvccpb.Event change in response.Events)
                    {
                        failures = 0;
                        delivered = change.Kv.ModRevision;
                        yield return ToWatchEvent(change);
                    }
                }
            }

            failures++;
            TimeSpan delay = TimeSpan.FromMilliseconds(Math.Min(s_maxReconnectDelay.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 10))));
            LogWatchReconnecting(_logger, prefix, delivered, delay);
            await Task.Delay(delay, _timeProvider, cancellationToken);
        }
    }

    private WatchEvent ToWatchEvent(Mvccpb.Event change)
    {
        KeyValue? previous = change.PrevKv is null ? null : ToKeyValue(change.PrevKv);
        if (change.Type == Mvccpb.Event.Types.EventType.Delete)
        {
            var gone = new KeyValue(StripPrefix(change.Kv.Key), ReadOnlyMemory<byte>.Empty, previous?.CreateRevision ?? 0, change.Kv.ModRevision);
            return new WatchEvent(WatchEventType.Deleted, gone, previous);
        }

        KeyValue current = ToKeyValue(change.Kv);
        return current.CreateRevision == current.ModRevision
            ? new WatchEvent(WatchEventType.Created, current, null)
            : new WatchEvent(WatchEventType.Updated, current, previous);
    }

    /// <summary>False when the stream is broken and should be opened again; throws only for cancellation and lasting errors.</summary>
    private async Task<bool> TryWriteAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, WatchRequest request, CancellationToken cancellationToken)
    {
        try
        {
            await call.RequestStream.WriteAsync(request, cancellationToken);
            return true;
        }
        catch (RpcException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("the watch was cancelled", ex, cancellationToken);
        }
        catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            ThrowIfLasting(ex);
            LogWatchBroken(_logger, ex);
            return false;
        }
    }

    /// <summary>The next response, or null when the stream ended or broke.</summary>
    private async Task<WatchResponse?> TryReadAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call.ResponseStream.MoveNext(cancellationToken) ? call.ResponseStream.Current : null;
        }
        catch (RpcException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("the watch was cancelled", ex, cancellationToken);
        }
        catch (Exception ex) when (ex is RpcException or IOException)
        {
            ThrowIfLasting(ex);
            LogWatchBroken(_logger, ex);
            return null;
        }
    }

    private static void ThrowIfLasting(Exception ex)
    {
        // Only failures of the connection or the server's availability heal by retrying; a refused request never does.
        if (ex is RpcException rpc && rpc.StatusCode is StatusCode.InvalidArgument or StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.Unimplemented)
        {
            throw new StoreException("etcd refused the watch: " + rpc.Status.Detail, rpc);
        }
    }

    /// <summary>
    /// etcd's range errors do not say how far history was compacted, but a watch from the refused revision does, at once.
    /// </summary>
    private async Task<long> FindCompactRevisionAsync(long requestedRevision, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call = _watch.Watch(new CallOptions(cancellationToken: timeout.Token));
            var create = new WatchCreateRequest { Key = ToEtcdKey(string.Empty), StartRevision = Math.Max(1, requestedRevision) };
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = create }, timeout.Token);
            while (await call.ResponseStream.MoveNext(timeout.Token))
            {
                if (call.ResponseStream.Current.CompactRevision > 0)
                {
                    return call.ResponseStream.Current.CompactRevision;
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogCompactRevisionUnknown(_logger, ex);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return 0;
    }
}
