using k8s.Models;

namespace Skiff.Machinery.Errors;

/// <summary>
/// A failure the caller caused, carried as the Kubernetes <c>Status</c> the API server will answer with
/// (reason, code, details and causes), so kubectl prints "Error from server (Reason): message".
/// </summary>
public sealed class StatusException : Exception
{
    public StatusException()
        : this(500, "InternalError", "internal error")
    {
    }

    public StatusException(string message)
        : this(500, "InternalError", message)
    {
    }

    public StatusException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = new V1Status { Kind = "Status", ApiVersion = "v1", Metadata = new V1ListMeta(), Status = "Failure", Message = message, Reason = "InternalError", Code = 500 };
    }

    public StatusException(int code, string reason, string message, V1StatusDetails? details = null)
        : base(message)
    {
        Status = new V1Status
        {
            Kind = "Status",
            ApiVersion = "v1",
            Metadata = new V1ListMeta(),
            Status = "Failure",
            Message = message,
            Reason = reason,
            Details = details,
            Code = code,
        };
    }

    /// <summary>The Status object to send.</summary>
    public V1Status Status { get; }

    /// <summary>The HTTP status code.</summary>
    public int Code => Status.Code ?? 500;

    /// <summary>The machine-readable reason (NotFound, AlreadyExists, Conflict, Invalid, ...).</summary>
    public string Reason => Status.Reason ?? "InternalError";
}
