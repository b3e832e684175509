namespace Skiff.Machinery.Catalog;

/// <summary>What upstream's discovery says about one resource (facts not carried by the model types).</summary>
internal sealed record UpstreamResource(
    string Group,
    string Version,
    string Plural,
    bool Namespaced,
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    IReadOnlyList<string> Subresources);
