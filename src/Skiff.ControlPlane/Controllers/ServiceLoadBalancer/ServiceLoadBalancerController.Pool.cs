using System.Net;
using k8s.Models;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.ServiceLoadBalancer;

/// <summary>The pool mode: which Service holds which address, rebuilt from the cache at the start of each term.</summary>
public sealed partial class ServiceLoadBalancerController
{
    // Marks the addresses Services already show before anything is handed out; the workers start only after the cache synced.
    private void EnsureInitialized(SharedInformer<V1Service> services, AddressPool pool)
    {
        lock (_lock)
        {
            if (_initialized)
            {
                return;
            }

            // Should two Services show the same address (a write raced a restart), the older keeps it and the other is moved.
            IEnumerable<V1Service> ours = services.Cache.List()
                .Where(s => LoadBalancerSync.IsOurs(s) && s.Metadata?.DeletionTimestamp is null)
                .OrderBy(s => s.Metadata.CreationTimestamp ?? DateTime.MaxValue)
                .ThenBy(ObjectKeys.Of, StringComparer.Ordinal);
            foreach (V1Service service in ours)
            {
                foreach (string shown in LoadBalancerSync.CurrentIps(service))
                {
                    if (IPAddress.TryParse(shown, out IPAddress? address) && pool.Occupy(address))
                    {
                        _assigned[ObjectKeys.Of(service)] = new Assignment(address, service.Metadata.Uid);
                        break;
                    }
                }
            }

            _initialized = true;
            LogPoolRebuilt(_logger, pool.Network, pool.InUse);
        }
    }

    /// <summary>The address <paramref name="service"/> holds or gets now; null (after a Warning event) when it gets none.</summary>
    private IPAddress? Allocate(string key, V1Service service, AddressPool pool)
    {
        string? requested = LoadBalancerSync.RequestedIp(service);
        (IPAddress? address, string? failure, bool allocated) = Choose(key, service, pool, requested);
        string ns = service.Metadata.NamespaceProperty;
        string name = service.Metadata.Name;
        if (failure is not null)
        {
            LogAllocationFailed(_logger, ns, name, failure);
            _events.Record(service, EventTypes.Warning, AllocationFailedReason, $"Failed to allocate IP for \"{key}\": {failure}");
        }
        else if (allocated && address is not null)
        {
            LogAllocated(_logger, ns, name, address);
            _events.Record(service, EventTypes.Normal, IpAllocatedReason, $"Assigned IP [\"{address}\"]");
        }

        return address;
    }

    private (IPAddress? Address, string? Failure, bool Allocated) Choose(string key, V1Service service, AddressPool pool, string? requested)
    {
        string? uid = service.Metadata.Uid;
        bool freed = false;
        (IPAddress?, string?, bool) result;
        lock (_lock)
        {
            if (_assigned.TryGetValue(key, out Assignment? held) && held.Uid != uid)
            {
                // A new Service under an old name: the old one's address goes back first.
                freed |= ReleaseLocked(key, pool);
                held = null;
            }

            if (requested is not null)
            {
                if (!IPAddress.TryParse(requested, out IPAddress? wanted) || !pool.Contains(wanted))
                {
                    freed |= ReleaseLocked(key, pool);
                    result = (null, $"spec.loadBalancerIP {requested} is not an address the pool {pool.Network} hands out", false);
                }
                else if (held is not null && held.Address.Equals(wanted))
                {
                    result = (held.Address, null, false);
                }
                else
                {
                    freed |= ReleaseLocked(key, pool);
                    if (pool.Occupy(wanted))
                    {
                        _assigned[key] = new Assignment(wanted, uid);
                        result = (wanted, null, true);
                    }
                    else
                    {
                        string? owner = _assigned.FirstOrDefault(a => a.Value.Address.Equals(wanted)).Key;
                        result = (null, $"spec.loadBalancerIP {requested} is already in use" + (owner is null ? string.Empty : " by " + owner), false);
                    }
                }
            }
            else if (held is not null)
            {
                result = (held.Address, null, false);
            }
            else if (KeepShown(service, pool) is { } shown)
            {
                // The status already shows a free pool address (written in an earlier term): keep it rather than move the Service.
                _assigned[key] = new Assignment(shown, uid);
                result = (shown, null, false);
            }
            else if (pool.TryAllocateNext(out IPAddress next))
            {
                _assigned[key] = new Assignment(next, uid);
                result = (next, null, true);
            }
            else
            {
                result = (null, $"no available IPs: the pool {pool.Network} is exhausted ({pool.InUse} of {pool.Capacity} addresses in use)", false);
            }
        }

        if (freed)
        {
            EnqueueWaiting(except: key);
        }

        return result;
    }

    private static IPAddress? KeepShown(V1Service service, AddressPool pool)
    {
        foreach (string shown in LoadBalancerSync.CurrentIps(service))
        {
            if (IPAddress.TryParse(shown, out IPAddress? address) && pool.Occupy(address))
            {
                return address;
            }
        }

        return null;
    }

    /// <summary>Frees what <paramref name="key"/> held; true when it held an address (Services waiting for one are then enqueued).</summary>
    private bool Release(string key, AddressPool? pool)
    {
        if (pool is null)
        {
            return false;
        }

        bool freed;
        lock (_lock)
        {
            freed = ReleaseLocked(key, pool);
        }

        if (freed)
        {
            EnqueueWaiting(except: key);
        }

        return freed;
    }

    private bool ReleaseLocked(string key, AddressPool pool)
    {
        if (!_assigned.Remove(key, out Assignment? held))
        {
            return false;
        }

        pool.Release(held.Address);
        LogReleased(_logger, key, held.Address);
        return true;
    }

    // Services that hold nothing found the pool full or their requested address taken: a freed address may be theirs now.
    private void EnqueueWaiting(string except)
    {
        List<V1Service> waiting;
        lock (_lock)
        {
            waiting = [.. (_services?.Cache.List() ?? []).Where(s => LoadBalancerSync.IsOurs(s) && ObjectKeys.Of(s) is var key && key != except && !_assigned.ContainsKey(key))];
        }

        foreach (V1Service service in waiting)
        {
            Enqueue(service);
        }
    }
}
