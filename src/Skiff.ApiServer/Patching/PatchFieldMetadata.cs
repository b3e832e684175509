namespace Skiff.ApiServer.Patching;

/// <summary>
/// How strategic merge patch treats one field of a built-in type: upstream's <c>patchStrategy</c> and
/// <c>patchMergeKey</c> struct tags, kept verbatim so the OpenAPI document can publish them as
/// <c>x-kubernetes-patch-strategy</c> and <c>x-kubernetes-patch-merge-key</c>.
/// </summary>
/// <param name="Strategy">The raw strategy list: "merge", "replace", "retainKeys" or "merge,retainKeys".</param>
/// <param name="MergeKey">The key that identifies list elements ("name", "containerPort"), or null for primitive lists and maps.</param>
public sealed record PatchFieldMetadata(string Strategy, string? MergeKey)
{
    /// <summary>The list merges with the live list (by <see cref="MergeKey"/>, or as a set of primitives) instead of replacing it.</summary>
    public bool IsMerge => HasStrategy("merge");

    /// <summary>The map (or each list element) honours the <c>$retainKeys</c> directive.</summary>
    public bool RetainKeys => HasStrategy("retainKeys");

    /// <summary>The map is replaced whole instead of merged.</summary>
    public bool IsReplace => HasStrategy("replace");

    private bool HasStrategy(string name)
    {
        foreach (string part in Strategy.Split(','))
        {
            if (string.Equals(part.Trim(), name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
