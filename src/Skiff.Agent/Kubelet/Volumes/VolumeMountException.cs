namespace Skiff.Agent.Kubelet.Volumes;

/// <summary>
/// A volume that cannot be set up (a missing ConfigMap, a hostPath of the wrong type, a volume type not supported yet). It is
/// an <see cref="IOException"/> so the pod workers treat it like any failed start: the pod stays Pending and is retried.
/// </summary>
public sealed class VolumeMountException : IOException
{
    public VolumeMountException()
    {
    }

    public VolumeMountException(string message)
        : base(message)
    {
    }

    public VolumeMountException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
