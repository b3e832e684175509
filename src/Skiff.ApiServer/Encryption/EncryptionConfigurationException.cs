namespace Skiff.ApiServer.Encryption;

/// <summary>An EncryptionConfiguration file that cannot be used; the message names the file's field that is wrong.</summary>
public sealed class EncryptionConfigurationException : Exception
{
    public EncryptionConfigurationException()
    {
    }

    public EncryptionConfigurationException(string message)
        : base(message)
    {
    }

    public EncryptionConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
