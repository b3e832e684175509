namespace Skiff.Store;

/// <summary>A value over the store's size limit (1.5 MiB, etcd's request limit) was refused.</summary>
public sealed class ValueTooLargeException : StoreException
{
    public ValueTooLargeException()
    {
    }

    public ValueTooLargeException(string message)
        : base(message)
    {
    }

    public ValueTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ValueTooLargeException(string key, long size, long limit)
        : base($"value for key {key} is {size} bytes, over the limit of {limit} bytes")
    {
        Size = size;
        Limit = limit;
    }

    public long Size { get; }

    public long Limit { get; }
}
