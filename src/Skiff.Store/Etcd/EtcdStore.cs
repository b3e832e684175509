using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Skiff.Store.Etcd;

/// <summary>
/// The store on a real etcd v3 cluster. Every key lives under one prefix so several clusters (or tests) can share an etcd;
/// callers never see the prefix. Revisions are etcd's own, so resourceVersions mean the same thing as in kube-apiserver.
/// </summary>
/// <remarks>
/// dotnet-etcd's convenience methods hide the response header and its watch manager delivers events through callbacks, so
/// this class talks to the generated gRPC clients the library ships over the library's channel.
/// </remarks>
internal sealed partial class EtcdStore : IRevisionedStore
{
    private readonly EtcdClient _client;
    private readonly KV.KVClient _kv;
    private readonly Etcdserverpb.Watch.WatchClient _watch;
    private readonly Lease.LeaseClient _lease;
    private readonly string _prefix;
    private readonly ILogger<EtcdStore> _logger;
    private readonly TimeProvider _timeProvider;

    private EtcdStore(EtcdClient client, string prefix, ILogger<EtcdStore> logger, TimeProvider timeProvider)
    {
        _client = client;
        var connection = client.GetConnection();
        _kv = connection.KVClient;
        _watch = connection.WatchClient;
        _lease = connection.LeaseClient;
        _prefix = prefix;
        _logger = logger;
        _timeProvider = timeProvider;
    }

    internal static EtcdStore Create(IReadOnlyList<string> endpoints, string prefix, ILogger<EtcdStore> logger) =>
        Create(endpoints, prefix, logger, TimeProvider.System);

    internal static EtcdStore Create(IReadOnlyList<string> endpoints, string prefix, ILogger<EtcdStore> logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("at least one etcd endpoint is needed", nameof(endpoints));
        }

        // A watch response may batch many events of up to 1.5 MiB each (plus their previous values), far over gRPC's 4 MiB default.
        string connectionString = string.Join(',', endpoints);
        var client = new EtcdClient(connectionString, configureChannelOptions: options => options.MaxReceiveMessageSize = null);
        LogCreated(logger, connectionString, prefix);
        return new EtcdStore(client, prefix, logger, timeProvider);
    }

    public async Task<long> GetCurrentRevisionAsync(CancellationToken cancellationToken)
    {
        // A count of one key is the cheapest linearizable read that carries the header revision.
        var request = new RangeRequest { Key = ToEtcdKey(string.Empty), CountOnly = true };
        RangeResponse response = await CallAsync(options => _kv.RangeAsync(request, options), 0, cancellationToken);
        return response.Header.Revision;
    }

    public async Task<KeyValue?> GetAsync(string key, long revision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var request = new RangeRequest { Key = ToEtcdKey(key), Revision = revision };
        RangeResponse response = await CallAsync(options => _kv.RangeAsync(request, options), revision, cancellationToken);
        return response.Kvs.Count == 0 ? null : ToKeyValue(response.Kvs[0]);
    }

    public async Task<ListResult> ListAsync(string prefix, ListOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(options);
        string start = _prefix + prefix;
        if (options.StartAfter is not null)
        {
            // "\0" is the smallest suffix, so the page begins right after the continue key; never before the prefix itself.
            string after = _prefix + options.StartAfter + "\0";
            if (string.CompareOrdinal(after, start) > 0)
            {
                start = after;
            }
        }

        var request = new RangeRequest
        {
            Key = ByteString.CopyFromUtf8(start),
            RangeEnd = RangeEndOf(_prefix + prefix),
            Revision = options.Revision,
            Limit = options.Limit,
        };
        RangeResponse response = await CallAsync(call => _kv.RangeAsync(request, call), options.Revision, cancellationToken);
        var items = new List<KeyValue>(response.Kvs.Count);
        foreach (Mvccpb.KeyValue kv in response.Kvs)
        {
            items.Add(ToKeyValue(kv));
        }

        long revision = options.Revision == 0 ? response.Header.Revision : options.Revision;
        return new ListResult(items, revision, response.More);
    }

    public async Task<long> CountAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var request = new RangeRequest { Key = ToEtcdKey(prefix), RangeEnd = RangeEndOf(_prefix + prefix), CountOnly = true };
        RangeResponse response = await CallAsync(options => _kv.RangeAsync(request, options), 0, cancellationToken);
        return response.Count;
    }

    public async Task CompactAsync(long revision, CancellationToken cancellationToken)
    {
        var request = new CompactionRequest { Revision = revision };
        try
        {
            await CallAsync(options => _kv.CompactAsync(request, options), revision, cancellationToken);
            LogCompacted(_logger, revision);
        }
        catch (CompactedException)
        {
            // History at or below this revision is already gone, which is all the caller asked for.
            LogAlreadyCompacted(_logger, revision);
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private ByteString ToEtcdKey(string key) => ByteString.CopyFromUtf8(_prefix + key);

    private static ByteString RangeEndOf(string fullPrefix)
    {
        // No end exists only for a prefix of all U+FFFF; etcd reads "\0" as "every key from the start on".
        string? end = StoreLimits.PrefixEnd(fullPrefix);
        return end is null ? ByteString.CopyFrom(0) : ByteString.CopyFromUtf8(end);
    }

    private KeyValue ToKeyValue(Mvccpb.KeyValue kv) =>
        new(StripPrefix(kv.Key), kv.Value.Memory, kv.CreateRevision, kv.ModRevision);

    private string StripPrefix(ByteString key)
    {
        string full = key.ToStringUtf8();
        return full.StartsWith(_prefix, StringComparison.Ordinal) ? full[_prefix.Length..] : full;
    }

    /// <summary>
    /// Runs one unary call and turns etcd's errors into the store's: compaction into <see cref="CompactedException"/>,
    /// cancellation into <see cref="OperationCanceledException"/>, anything else into <see cref="StoreException"/>.
    /// </summary>
    private async Task<T> CallAsync<T>(Func<CallOptions, AsyncUnaryCall<T>> call, long requestedRevision, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await call(new CallOptions(cancellationToken: cancellationToken));
        }
        catch (RpcException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("the etcd call was cancelled", ex, cancellationToken);
        }
        catch (RpcException ex) when (IsCompacted(ex))
        {
            long compacted = await FindCompactRevisionAsync(requestedRevision, cancellationToken);
            throw new CompactedException(requestedRevision, compacted);
        }
        catch (RpcException ex)
        {
            LogCallFailed(_logger, ex.StatusCode, ex.Status.Detail, ex);
            throw new StoreException("etcd request failed: " + ex.Status.Detail, ex);
        }
    }

    private static bool IsCompacted(RpcException ex) =>
        ex.StatusCode == StatusCode.OutOfRange && ex.Status.Detail.Contains("compacted", StringComparison.Ordinal);
}
