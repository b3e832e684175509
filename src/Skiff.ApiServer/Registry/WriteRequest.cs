namespace Skiff.ApiServer.Registry;

/// <summary>The options of one write, from its query string and body.</summary>
/// <param name="FieldManager">The manager recorded in managedFields.</param>
/// <param name="Validation">Strict, Warn or Ignore for unknown fields.</param>
/// <param name="DryRun">True for dryRun=All: everything is checked, nothing is stored.</param>
internal sealed record WriteRequest(string FieldManager, FieldValidation Validation, bool DryRun)
{
    /// <summary>True for server-side apply, whose managedFields the apply logic computes.</summary>
    public bool IsApply { get; init; }

    /// <summary>Who writes (admission plugins and webhooks see it); the API server itself unless the handler says otherwise.</summary>
    public Authentication.UserInfo User { get; init; } = Authentication.UserInfo.ApiServer;

    /// <summary>Audit annotations admission adds (the request's audit event carries them; see Audit/AuditScope).</summary>
    public Dictionary<string, string> AuditAnnotations { get; init; } = [];
    /// <summary>The resource version the client addressed (webhooks match on it); null when it is the stored one.</summary>
    public Skiff.Machinery.Catalog.ResourceInfo? RequestResource { get; init; }

    /// <summary>Warnings to return in Warning headers (unknown fields under Warn, deprecations).</summary>
    public List<string> Warnings { get; } = [];
}
