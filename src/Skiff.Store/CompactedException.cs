namespace Skiff.Store;

/// <summary>A read or watch asked for history the store no longer keeps (the API server answers 410 Gone).</summary>
public sealed class CompactedException : StoreException
{
    public CompactedException()
    {
    }

    public CompactedException(string message)
        : base(message)
    {
    }

    public CompactedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CompactedException(long requestedRevision, long compactedRevision)
        : base($"required revision {requestedRevision} has been compacted; the oldest revision kept is {compactedRevision}")
    {
        RequestedRevision = requestedRevision;
        CompactedRevision = compactedRevision;
    }

    public long RequestedRevision { get; }

    public long CompactedRevision { get; }
}
