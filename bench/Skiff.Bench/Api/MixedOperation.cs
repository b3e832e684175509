namespace Skiff.Bench.Api;

/// <summary>The request kinds of the vcluster-style profile.</summary>
internal enum MixedOperation
{
    Get,
    ListByLabel,
    Create,
    Patch,
    Delete,
}
