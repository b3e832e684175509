using k8s.Models;

namespace Skiff.ControlPlane;

/// <summary>
/// Upstream's toleration matching (v1helper.TolerationsTolerateTaint): key, effect and value rules. The one copy the
/// scheduler's plugins, the DaemonSet controller and taint eviction share.
/// </summary>
public static class Tolerations
{
    /// <summary>
    /// An empty toleration effect matches every effect, an empty key (with Exists) every key; operator "" or Equal compares
    /// values, Exists ignores them. Unknown operators tolerate nothing.
    /// </summary>
    public static bool Tolerates(V1Toleration toleration, V1Taint taint)
    {
        ArgumentNullException.ThrowIfNull(toleration);
        ArgumentNullException.ThrowIfNull(taint);
        if (!string.IsNullOrEmpty(toleration.Effect) && toleration.Effect != taint.Effect)
        {
            return false;
        }

        if (!string.IsNullOrEmpty(toleration.Key) && toleration.Key != taint.Key)
        {
            return false;
        }

        return toleration.OperatorProperty switch
        {
            null or "" or "Equal" => (toleration.Value ?? string.Empty) == (taint.Value ?? string.Empty),
            "Exists" => true,
            _ => false,
        };
    }

    public static bool AnyTolerates(IEnumerable<V1Toleration>? tolerations, V1Taint taint) =>
        tolerations is not null && tolerations.Any(t => Tolerates(t, taint));
}
