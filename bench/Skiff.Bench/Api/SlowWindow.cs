namespace Skiff.Bench.Api;

/// <summary>The requests slower than <see cref="Threshold"/>: how many, and when (from the phase start) the first and last of them were sent.</summary>
internal sealed record SlowWindow(TimeSpan Threshold, int Count, TimeSpan FirstSent, TimeSpan LastSent);
