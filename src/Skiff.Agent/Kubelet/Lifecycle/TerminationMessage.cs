using System.Text;
using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Lifecycle;

/// <summary>
/// The termination message of a container: a per-container host file, bind-mounted at terminationMessagePath (default
/// <c>/dev/termination-log</c>), read after the exit (at most 4 KiB); under terminationMessagePolicy FallbackToLogsOnError
/// an empty file after a failed exit gives the last 80 lines (at most 2 KiB) of the container's log instead.
/// </summary>
internal static class TerminationMessage
{
    public const string DefaultPath = "/dev/termination-log";
    private const int MaxFileBytes = 4096;
    private const int MaxLogBytes = 2048;
    private const int MaxLogLines = 80;

    /// <summary><c>&lt;data dir&gt;/pods/&lt;uid&gt;/containers</c>: the pod's termination-message files, removed with the pod.</summary>
    public static string PodDirectory(KubeletOptions options, string podUid) => Path.Combine(options.PodLogDir, podUid, "containers");

    /// <summary>Creates the empty host file of <paramref name="container"/>'s run <paramref name="attempt"/> and returns its mount.</summary>
    public static Mount CreateMount(KubeletOptions options, string podUid, V1Container container, uint attempt)
    {
        string dir = Path.Combine(PodDirectory(options, podUid), container.Name);
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.WriteAllBytes(file, []);
        // Any user the container runs as may write it.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        }

        return new Mount { ContainerPath = PathOf(container), HostPath = file };
    }

    public static string PathOf(V1Container container) => string.IsNullOrEmpty(container.TerminationMessagePath) ? DefaultPath : container.TerminationMessagePath;

    /// <summary>The message of the exited container <paramref name="status"/>, or null when there is none.</summary>
    public static string? Read(V1Container? container, ContainerStatus status)
    {
        string path = container is null ? DefaultPath : PathOf(container);
        Mount? mount = status.Mounts.FirstOrDefault(m => m.ContainerPath == path);
        string message = mount is not null && File.Exists(mount.HostPath) ? ReadHead(mount.HostPath, MaxFileBytes) : "";
        if (message.Length == 0 && status.ExitCode != 0 && container?.TerminationMessagePolicy == "FallbackToLogsOnError" && File.Exists(status.LogPath))
        {
            message = LogTail(File.ReadAllLines(status.LogPath), MaxLogLines, MaxLogBytes);
        }

        return message.Length > 0 ? message : null;
    }

    /// <summary>The content of the last <paramref name="lines"/> CRI log lines (<c>&lt;time&gt; &lt;stream&gt; &lt;P|F&gt; &lt;text&gt;</c>), cut to the last <paramref name="maxBytes"/>.</summary>
    internal static string LogTail(IReadOnlyList<string> logLines, int lines, int maxBytes)
    {
        var text = new StringBuilder();
        foreach (string line in logLines.Skip(Math.Max(0, logLines.Count - lines)))
        {
            string[] parts = line.Split(' ', 4);
            if (parts.Length < 4)
            {
                continue;
            }

            text.Append(parts[3]);
            if (parts[2] != "P")
            {
                text.Append('\n');
            }
        }

        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        return bytes.Length <= maxBytes ? text.ToString() : Encoding.UTF8.GetString(bytes, bytes.Length - maxBytes, maxBytes);
    }

    private static string ReadHead(string file, int maxBytes)
    {
        using FileStream stream = File.OpenRead(file);
        byte[] buffer = new byte[maxBytes];
        int read = stream.ReadAtLeast(buffer, maxBytes, throwOnEndOfStream: false);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }
}
