using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Skiff.Store.Etcd;

// Every write is one Txn whose failure branch reads the key, so the caller learns why it lost from the same revision
// without a second round trip that could see a later state.
internal sealed partial class EtcdStore
{
    public async Task<WriteResult> CreateAsync(string key, ReadOnlyMemory<byte> value, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        StoreLimits.EnsureValueSize(key, value);
        ByteString etcdKey = ToEtcdKey(key);
        long lease = await GrantLeaseAsync(timeToLive, cancellationToken);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare { Key = etcdKey, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = etcdKey, Value = ByteString.CopyFrom(value.Span), Lease = lease } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = etcdKey } });
        TxnResponse response = await CallAsync(options => _kv.TxnAsync(txn, options), 0, cancellationToken);
        long revision = response.Header.Revision;
        if (response.Succeeded)
        {
            return new WriteResult(WriteStatus.Ok, revision, new KeyValue(key, value, revision, revision));
        }

        await RevokeUnusedLeaseAsync(lease, cancellationToken);
        KeyValue? current = FirstKeyValue(response);
        return current is null
            ? new WriteResult(WriteStatus.NotFound, revision, null)
            : new WriteResult(WriteStatus.AlreadyExists, revision, current);
    }

    public async Task<WriteResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedModRevision, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        StoreLimits.EnsureValueSize(key, value);
        ByteString etcdKey = ToEtcdKey(key);
        long lease = await GrantLeaseAsync(timeToLive, cancellationToken);
        var txn = new TxnRequest();
        txn.Compare.Add(MustExist(etcdKey));
        txn.Compare.Add(new Compare { Key = etcdKey, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = expectedModRevision });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = etcdKey, Value = ByteString.CopyFrom(value.Span), Lease = lease, PrevKv = true } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = etcdKey } });
        TxnResponse response = await CallAsync(options => _kv.TxnAsync(txn, options), 0, cancellationToken);
        long revision = response.Header.Revision;
        if (response.Succeeded)
        {
            long createRevision = response.Responses[0].ResponsePut.PrevKv?.CreateRevision ?? revision;
            return new WriteResult(WriteStatus.Ok, revision, new KeyValue(key, value, createRevision, revision));
        }

        await RevokeUnusedLeaseAsync(lease, cancellationToken);
        return Refused(response);
    }

    public async Task<WriteResult> DeleteAsync(string key, long expectedModRevision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ByteString etcdKey = ToEtcdKey(key);
        var txn = new TxnRequest();
        txn.Compare.Add(MustExist(etcdKey));
        if (expectedModRevision > 0)
        {
            txn.Compare.Add(new Compare { Key = etcdKey, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = expectedModRevision });
        }

        txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = etcdKey, PrevKv = true } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = etcdKey } });
        TxnResponse response = await CallAsync(options => _kv.TxnAsync(txn, options), 0, cancellationToken);
        if (!response.Succeeded)
        {
            return Refused(response);
        }

        DeleteRangeResponse deleted = response.Responses[0].ResponseDeleteRange;
        KeyValue? previous = deleted.PrevKvs.Count == 0 ? null : ToKeyValue(deleted.PrevKvs[0]);
        return new WriteResult(WriteStatus.Ok, response.Header.Revision, previous);
    }

    private static Compare MustExist(ByteString etcdKey) =>
        new() { Key = etcdKey, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Greater, CreateRevision = 0 };

    private WriteResult Refused(TxnResponse response)
    {
        KeyValue? current = FirstKeyValue(response);
        return current is null
            ? new WriteResult(WriteStatus.NotFound, response.Header.Revision, null)
            : new WriteResult(WriteStatus.Conflict, response.Header.Revision, current);
    }

    private KeyValue? FirstKeyValue(TxnResponse response)
    {
        RangeResponse range = response.Responses[0].ResponseRange;
        return range.Kvs.Count == 0 ? null : ToKeyValue(range.Kvs[0]);
    }

    private async Task<long> GrantLeaseAsync(TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        if (timeToLive is not { } ttl)
        {
            return 0;
        }

        // etcd counts leases in whole seconds and raises anything below its minimum (2 s with default election settings).
        long seconds = Math.Max(1, (long)Math.Ceiling(ttl.TotalSeconds));
        var request = new LeaseGrantRequest { TTL = seconds };
        LeaseGrantResponse response = await CallAsync(options => _lease.LeaseGrantAsync(request, options), 0, cancellationToken);
        return response.ID;
    }

    private async Task RevokeUnusedLeaseAsync(long lease, CancellationToken cancellationToken)
    {
        if (lease == 0)
        {
            return;
        }

        try
        {
            await _lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, new CallOptions(cancellationToken: cancellationToken));
        }
        catch (RpcException ex)
        {
            // The lease attaches to nothing, so it only lingers until its TTL runs out.
            LogLeaseRevokeFailed(_logger, lease, ex);
        }
    }
}
