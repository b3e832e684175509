using System.Globalization;
using k8s.Models;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// LimitRange min, max and maxLimitRequestRatio checks with upstream's messages (its minConstraint, maxConstraint,
/// limitRequestRatioConstraint and maxRequestConstraint). Resources are checked in name order, so the message is stable.
/// </summary>
internal static class LimitRangeChecks
{
    public static IEnumerable<string> Pod(V1LimitRange range, V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(pod);
        foreach (V1LimitRangeItem item in range.Spec?.Limits ?? [])
        {
            if (item?.Type == "Container")
            {
                foreach (V1Container container in (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []))
                {
                    foreach (string error in Item(item, container?.Resources?.Requests, container?.Resources?.Limits))
                    {
                        yield return error;
                    }
                }
            }
            else if (item?.Type == "Pod")
            {
                foreach (string error in Item(item, PodTotals(pod, limits: false), PodTotals(pod, limits: true)))
                {
                    yield return error;
                }
            }
        }
    }

    public static IEnumerable<string> Claim(V1LimitRange range, V1PersistentVolumeClaim claim)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(claim);
        IDictionary<string, ResourceQuantity>? requests = claim.Spec?.Resources?.Requests;
        foreach (V1LimitRangeItem item in (range.Spec?.Limits ?? []).Where(l => l?.Type == "PersistentVolumeClaim"))
        {
            foreach ((string name, ResourceQuantity min) in Sorted(item.Min))
            {
                if (Min(item.Type, name, min, requests, null) is { } error)
                {
                    yield return error;
                }
            }

            foreach ((string name, ResourceQuantity max) in Sorted(item.Max))
            {
                ResourceQuantity? request = Get(requests, name);
                if (request is null)
                {
                    yield return $"maximum {name} usage per {item.Type} is {max}.  No request is specified";
                }
                else if (request.ToDecimal() > max.ToDecimal())
                {
                    yield return $"maximum {name} usage per {item.Type} is {max}, but request is {request}";
                }
            }
        }
    }

    private static IEnumerable<string> Item(V1LimitRangeItem item, IDictionary<string, ResourceQuantity>? requests, IDictionary<string, ResourceQuantity>? limits)
    {
        foreach ((string name, ResourceQuantity min) in Sorted(item.Min))
        {
            if (Min(item.Type, name, min, requests, limits) is { } error)
            {
                yield return error;
            }
        }

        foreach ((string name, ResourceQuantity max) in Sorted(item.Max))
        {
            if (Max(item.Type, name, max, requests, limits) is { } error)
            {
                yield return error;
            }
        }

        foreach ((string name, ResourceQuantity ratio) in Sorted(item.MaxLimitRequestRatio))
        {
            if (Ratio(item.Type, name, ratio, requests, limits) is { } error)
            {
                yield return error;
            }
        }
    }

    private static string? Min(string type, string name, ResourceQuantity enforced, IDictionary<string, ResourceQuantity>? requests, IDictionary<string, ResourceQuantity>? limits)
    {
        ResourceQuantity? request = Get(requests, name);
        ResourceQuantity? limit = Get(limits, name);
        if (request is null)
        {
            return $"minimum {name} usage per {type} is {enforced}.  No request is specified";
        }

        if (request.ToDecimal() < enforced.ToDecimal())
        {
            return $"minimum {name} usage per {type} is {enforced}, but request is {request}";
        }

        return limit is not null && limit.ToDecimal() < enforced.ToDecimal()
            ? $"minimum {name} usage per {type} is {enforced}, but limit is {limit}"
            : null;
    }

    private static string? Max(string type, string name, ResourceQuantity enforced, IDictionary<string, ResourceQuantity>? requests, IDictionary<string, ResourceQuantity>? limits)
    {
        ResourceQuantity? request = Get(requests, name);
        ResourceQuantity? limit = Get(limits, name);
        if (limit is null)
        {
            return $"maximum {name} usage per {type} is {enforced}.  No limit is specified";
        }

        if (limit.ToDecimal() > enforced.ToDecimal())
        {
            return $"maximum {name} usage per {type} is {enforced}, but limit is {limit}";
        }

        return request is not null && request.ToDecimal() > enforced.ToDecimal()
            ? $"maximum {name} usage per {type} is {enforced}, but request is {request}"
            : null;
    }

    private static string? Ratio(string type, string name, ResourceQuantity enforced, IDictionary<string, ResourceQuantity>? requests, IDictionary<string, ResourceQuantity>? limits)
    {
        decimal request = Get(requests, name)?.ToDecimal() ?? 0;
        decimal limit = Get(limits, name)?.ToDecimal() ?? 0;
        if (request == 0)
        {
            return $"{name} max limit to request ratio per {type} is {enforced}, but no request is specified or request is 0";
        }

        if (limit == 0)
        {
            return $"{name} max limit to request ratio per {type} is {enforced}, but no limit is specified or limit is 0";
        }

        decimal observed = limit / request;
        return observed > enforced.ToDecimal()
            ? $"{name} max limit to request ratio per {type} is {enforced}, but provided ratio is {observed.ToString("F6", CultureInfo.InvariantCulture)}"
            : null;
    }

    // Upstream's podRequests/podLimits for the Pod type: the containers together, or the largest init container when more.
    private static Dictionary<string, ResourceQuantity> PodTotals(V1Pod pod, bool limits)
    {
        var totals = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        foreach (V1Container container in pod.Spec?.Containers ?? [])
        {
            foreach ((string name, ResourceQuantity value) in (limits ? container?.Resources?.Limits : container?.Resources?.Requests) ?? new Dictionary<string, ResourceQuantity>())
            {
                totals[name] = totals.TryGetValue(name, out ResourceQuantity? sum) ? new ResourceQuantity(sum.ToDecimal() + value.ToDecimal(), 0, sum.Format) : value;
            }
        }

        foreach (V1Container init in pod.Spec?.InitContainers ?? [])
        {
            foreach ((string name, ResourceQuantity value) in (limits ? init?.Resources?.Limits : init?.Resources?.Requests) ?? new Dictionary<string, ResourceQuantity>())
            {
                if (!totals.TryGetValue(name, out ResourceQuantity? sum) || value.ToDecimal() > sum.ToDecimal())
                {
                    totals[name] = value;
                }
            }
        }

        return totals;
    }

    private static ResourceQuantity? Get(IDictionary<string, ResourceQuantity>? values, string name) =>
        values?.TryGetValue(name, out ResourceQuantity? value) == true ? value : null;

    private static IEnumerable<KeyValuePair<string, ResourceQuantity>> Sorted(IDictionary<string, ResourceQuantity>? values) =>
        (values ?? new Dictionary<string, ResourceQuantity>()).Where(v => v.Value is not null).OrderBy(v => v.Key, StringComparer.Ordinal);
}
