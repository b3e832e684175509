namespace Skiff.Store;

/// <summary>The datastore on disk is damaged or belongs to something else; it was left untouched.</summary>
public sealed class StoreCorruptException : StoreException
{
    public StoreCorruptException()
    {
    }

    public StoreCorruptException(string message)
        : base(message)
    {
    }

    public StoreCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
