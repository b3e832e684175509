namespace Skiff.ApiServer.Audit;

/// <summary>When in a request's life an audit event is written (upstream's stages).</summary>
public enum AuditStage
{
    /// <summary>As soon as the request is known (after authentication), before it is served.</summary>
    RequestReceived,

    /// <summary>When the headers of a long-running response (a watch, exec) are sent, before its body.</summary>
    ResponseStarted,

    /// <summary>When the response is complete.</summary>
    ResponseComplete,

    /// <summary>When serving failed with an unexpected exception.</summary>
    Panic,
}
