namespace Skiff.ApiServer.Audit;

/// <summary>What the policy decided for one request: the level, the stages left out, and whether managedFields are dropped.</summary>
internal sealed record AuditDecision(AuditLevel Level, IReadOnlySet<AuditStage> OmitStages, bool OmitManagedFields)
{
    public static readonly AuditDecision None = new(AuditLevel.None, new HashSet<AuditStage>(), false);

    /// <summary>True when the event of a stage is written.</summary>
    public bool Records(AuditStage stage) => Level != AuditLevel.None && !OmitStages.Contains(stage);
}
