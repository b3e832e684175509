namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>Kinds whose names only need to be valid path segments (RBAC objects), as upstream validates them.</summary>
internal sealed class PathNameStrategy : ResourceStrategy
{
    public override Func<string, string?> NameRule => Names.PathSegmentProblem;
}
