namespace Skiff.ApiServer.Audit;

/// <summary>An audit Policy file that cannot be used; the message names the field that is wrong.</summary>
public sealed class AuditPolicyException : Exception
{
    public AuditPolicyException()
    {
    }

    public AuditPolicyException(string message)
        : base(message)
    {
    }

    public AuditPolicyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
