using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>Upstream's helper.DefaultNormalizeScore: scale so the best raw score becomes 100, optionally reversed.</summary>
public static class ScoreNormalizer
{
    /// <summary>
    /// Scales scores to 0–<see cref="IScorePlugin.MaxNodeScore"/> by the largest one; with <paramref name="reverse"/> the
    /// smallest raw score wins. All zeros stay zeros (or all become 100 when reversed).
    /// </summary>
    public static void Default(Span<long> scores, bool reverse)
    {
        long max = 0;
        foreach (long score in scores)
        {
            max = Math.Max(max, score);
        }

        for (int i = 0; i < scores.Length; i++)
        {
            if (max == 0)
            {
                scores[i] = reverse ? IScorePlugin.MaxNodeScore : 0;
                continue;
            }

            long scaled = IScorePlugin.MaxNodeScore * scores[i] / max;
            scores[i] = reverse ? IScorePlugin.MaxNodeScore - scaled : scaled;
        }
    }
}
