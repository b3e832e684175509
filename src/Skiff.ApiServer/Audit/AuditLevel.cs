namespace Skiff.ApiServer.Audit;

/// <summary>How much of a request an audit event records (upstream's audit levels, in increasing order).</summary>
public enum AuditLevel
{
    /// <summary>No event.</summary>
    None,

    /// <summary>Who, what, when and the result; no bodies.</summary>
    Metadata,

    /// <summary>Metadata and the request body.</summary>
    Request,

    /// <summary>Metadata, the request body and the response body.</summary>
    RequestResponse,
}
