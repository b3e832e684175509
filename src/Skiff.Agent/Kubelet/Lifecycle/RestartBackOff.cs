using System.Collections.Concurrent;
using System.Globalization;

namespace Skiff.Agent.Kubelet.Lifecycle;

/// <summary>
/// The crash-loop back-off of restarted containers, keyed by pod uid and container name. The first restart is immediate;
/// each later one waits the current delay, which starts at <c>initial</c> and doubles up to <c>max</c>. A container that
/// ran <c>resetAfter</c> or longer before it exited starts again from <c>initial</c>. Pure: every time is passed in.
/// </summary>
internal sealed class RestartBackOff
{
    private readonly ConcurrentDictionary<string, TimeSpan> _delays = new();

    public RestartBackOff(TimeSpan initial, TimeSpan max, TimeSpan resetAfter)
    {
        Initial = initial;
        Max = max;
        ResetAfter = resetAfter;
    }

    public TimeSpan Initial { get; }

    public TimeSpan Max { get; }

    public TimeSpan ResetAfter { get; }

    public static string Key(string podUid, string containerName) => podUid + "/" + containerName;

    /// <summary>
    /// When a container that exited at <paramref name="finishedAt"/> after running <paramref name="ranFor"/> may be
    /// restarted: null when it may restart now, else the delay still in force (for the CrashLoopBackOff message).
    /// </summary>
    public TimeSpan? InBackOff(string key, DateTimeOffset finishedAt, TimeSpan ranFor, DateTimeOffset now)
    {
        if (ranFor >= ResetAfter)
        {
            _delays.TryRemove(key, out _);
            return null;
        }

        return _delays.TryGetValue(key, out TimeSpan delay) && now - finishedAt < delay ? delay : null;
    }

    /// <summary>Records a restart: the next one waits <see cref="Initial"/> after the first restart, then twice the previous delay up to <see cref="Max"/>.</summary>
    public TimeSpan Next(string key) =>
        _delays.AddOrUpdate(key, Initial, (_, previous) => previous * 2 > Max ? Max : previous * 2);

    /// <summary>Forgets a pod's containers (the pod is gone).</summary>
    public void Forget(string podUid)
    {
        foreach (string key in _delays.Keys.Where(k => k.StartsWith(podUid + "/", StringComparison.Ordinal)))
        {
            _delays.TryRemove(key, out _);
        }
    }

    /// <summary>The upstream CrashLoopBackOff message, <c>back-off 20s restarting failed container=app pod=web_default(uid)</c>.</summary>
    public static string Message(TimeSpan delay, string container, string pod, string @namespace, string uid) =>
        "back-off " + GoDuration(delay) + " restarting failed container=" + container + " pod=" + pod + "_" + @namespace + "(" + uid + ")";

    /// <summary>A whole-second duration as Go prints it: <c>10s</c>, <c>1m20s</c>, <c>5m0s</c>, <c>1h0m0s</c>; fractions as <c>500ms</c> or <c>1.5s</c>.</summary>
    public static string GoDuration(TimeSpan d)
    {
        if (d < TimeSpan.FromSeconds(1))
        {
            return ((long)d.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        string seconds = (d.Ticks % TimeSpan.TicksPerMinute / (double)TimeSpan.TicksPerSecond).ToString("0.###", CultureInfo.InvariantCulture) + "s";
        if (d < TimeSpan.FromMinutes(1))
        {
            return seconds;
        }

        string minutes = d.Minutes.ToString(CultureInfo.InvariantCulture) + "m" + seconds;
        return d < TimeSpan.FromHours(1) ? minutes : ((long)d.TotalHours).ToString(CultureInfo.InvariantCulture) + "h" + minutes;
    }
}
