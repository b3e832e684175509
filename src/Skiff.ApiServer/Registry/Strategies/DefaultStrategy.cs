namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>Kinds with no rules of their own.</summary>
internal sealed class DefaultStrategy : ResourceStrategy
{
}
