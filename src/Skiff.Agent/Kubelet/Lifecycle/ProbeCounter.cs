namespace Skiff.Agent.Kubelet.Lifecycle;

/// <summary>
/// Turns single probe runs into a probe's result, as the kubelet does: the result flips to success after
/// successThreshold consecutive successes and to failure after failureThreshold consecutive failures. Before any flip a
/// liveness probe counts as succeeding (the container is not killed), a readiness probe as failing (not ready) and a
/// startup probe as failing (not started). Pure and not thread-safe: one probe worker owns it.
/// </summary>
internal sealed class ProbeCounter
{
    private readonly int _successThreshold;
    private readonly int _failureThreshold;
    private int _successes;
    private int _failures;

    public ProbeCounter(ProbeKind kind, int? successThreshold, int? failureThreshold)
    {
        // Liveness and startup probes must use successThreshold 1 (API validation); clamp so a bad value cannot wedge them.
        _successThreshold = kind == ProbeKind.Readiness ? Math.Max(1, successThreshold ?? 1) : 1;
        _failureThreshold = Math.Max(1, failureThreshold ?? 3);
        Succeeding = kind == ProbeKind.Liveness;
    }

    /// <summary>The probe's current result.</summary>
    public bool Succeeding { get; private set; }

    /// <summary>Whether the last failureThreshold runs all failed (a liveness or startup probe then kills the container).</summary>
    public bool FailureThresholdReached => _failures >= _failureThreshold;

    /// <summary>Records one run; true when <see cref="Succeeding"/> changed.</summary>
    public bool Record(bool success)
    {
        if (success)
        {
            _failures = 0;
            _successes++;
        }
        else
        {
            _successes = 0;
            _failures++;
        }

        bool next = Succeeding;
        if (success && _successes >= _successThreshold)
        {
            next = true;
        }
        else if (!success && _failures >= _failureThreshold)
        {
            next = false;
        }

        bool changed = next != Succeeding;
        Succeeding = next;
        return changed;
    }

    /// <summary>Whether an HTTP probe's status code counts as success (200–399, as upstream).</summary>
    public static bool IsHttpSuccess(int statusCode) => statusCode is >= 200 and < 400;
}
