namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>Kinds with no rules of their own whose upstream storage answers a DELETE with the object (ServiceAccount, StorageClass).</summary>
internal sealed class ReturnDeletedObjectStrategy : ResourceStrategy
{
    public override bool ReturnsDeletedObject => true;
}
