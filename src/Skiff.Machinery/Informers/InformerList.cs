namespace Skiff.Machinery.Informers;

/// <summary>What a list function returns: every object, and the resourceVersion the watch resumes from.</summary>
public sealed record InformerList<T>(IReadOnlyList<T> Items, string? ResourceVersion);
