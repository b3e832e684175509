namespace Skiff.Store;

/// <summary>How to list a prefix.</summary>
/// <param name="Revision">Read as of this revision; 0 means the latest.</param>
/// <param name="Limit">At most this many keys; 0 means no limit.</param>
/// <param name="StartAfter">Only keys greater than this one (the continue point of the previous page).</param>
public sealed record ListOptions(long Revision = 0, int Limit = 0, string? StartAfter = null);
