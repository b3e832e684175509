namespace Skiff.Pki;

/// <summary>A certificate, key or token in the data directory cannot be used; the message names the file and what to do.</summary>
internal sealed class PkiException : Exception
{
    public PkiException()
    {
    }

    public PkiException(string message)
        : base(message)
    {
    }

    public PkiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
