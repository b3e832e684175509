namespace Skiff.Bench;

/// <summary>A measured phase stops at whichever comes first: the duration or the operation count.</summary>
internal sealed record PhaseLimit(TimeSpan Duration, long MaxOperations);
