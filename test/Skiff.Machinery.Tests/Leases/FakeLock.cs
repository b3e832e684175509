using System.Net;
using k8s.Autorest;
using k8s.LeaderElection;

namespace Skiff.Machinery.Tests.Leases;

/// <summary>An in-memory Lease: 404 until created; updates can be made to fail.</summary>
internal sealed class FakeLock(string identity) : ILock
{
    private readonly Lock _gate = new();
    private LeaderElectionRecord? _record;

    public string Identity { get; } = identity;

    public bool FailUpdates { get; set; }

    public List<LeaderElectionRecord> Writes { get; } = [];

    public LeaderElectionRecord? Record
    {
        get
        {
            lock (_gate)
            {
                return _record;
            }
        }

        set
        {
            lock (_gate)
            {
                _record = value;
            }
        }
    }

    public Task<LeaderElectionRecord> GetAsync(CancellationToken cancellationToken = default)
    {
        LeaderElectionRecord? record = Record;
        if (record is null)
        {
            var response = new HttpResponseMessage(HttpStatusCode.NotFound);
            throw new HttpOperationException("not found") { Response = new HttpResponseMessageWrapper(response, string.Empty) };
        }

        return Task.FromResult(Copy(record));
    }

    public Task<bool> CreateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_record is not null)
            {
                return Task.FromResult(false);
            }

            _record = Copy(record);
            Writes.Add(Copy(record));
            return Task.FromResult(true);
        }
    }

    public Task<bool> UpdateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (FailUpdates)
            {
                return Task.FromResult(false);
            }

            _record = Copy(record);
            Writes.Add(Copy(record));
            return Task.FromResult(true);
        }
    }

    public string Describe() => "fake/lease";

    private static LeaderElectionRecord Copy(LeaderElectionRecord r) => new()
    {
        HolderIdentity = r.HolderIdentity,
        LeaseDurationSeconds = r.LeaseDurationSeconds,
        AcquireTime = r.AcquireTime,
        RenewTime = r.RenewTime,
        LeaderTransitions = r.LeaderTransitions,
    };
}
