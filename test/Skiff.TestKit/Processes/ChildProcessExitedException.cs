namespace Skiff.TestKit.Processes;

/// <summary>A child process exited while the caller was waiting for it to reach some state; the message carries its output.</summary>
public sealed class ChildProcessExitedException : InvalidOperationException
{
    public ChildProcessExitedException()
    {
    }

    public ChildProcessExitedException(string message)
        : base(message)
    {
    }

    public ChildProcessExitedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
