namespace Skiff.Hosting;

/// <summary>Joining cannot succeed by retrying: the token, the CA or the server's answer is wrong.</summary>
internal sealed class AgentJoinException : Exception
{
    public AgentJoinException()
    {
    }

    public AgentJoinException(string message)
        : base(message)
    {
    }

    public AgentJoinException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
