using System.Text;

namespace Skiff;

/// <summary>
/// The layout of the data directory and the only place that writes into it. Directories are created 0700, secrets 0600,
/// public certificates 0644; every write goes to a temporary file first so a crash never leaves half a key behind.
/// </summary>
internal sealed class DataDirectory
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode SecretMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PublicMode = SecretMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public DataDirectory(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string TlsDirectory => Path.Combine(Root, "tls");

    public string DatabaseDirectory => Path.Combine(Root, "db");

    public string AgentDirectory => Path.Combine(Root, "agent");

    public string CaCertificate => Path.Combine(TlsDirectory, "ca.crt");

    public string CaKey => Path.Combine(TlsDirectory, "ca.key");

    public string ServingCertificate => Path.Combine(TlsDirectory, "serving.crt");

    public string ServingKey => Path.Combine(TlsDirectory, "serving.key");

    public string ServiceAccountKey => Path.Combine(TlsDirectory, "service-account.key");

    public string Token => Path.Combine(Root, "token");

    public string AdminKubeconfig => Path.Combine(Root, "admin.kubeconfig");

    public string AgentCaCertificate => Path.Combine(AgentDirectory, "ca.crt");

    public string AgentNodeCertificate => Path.Combine(AgentDirectory, "node.crt");

    public string AgentNodeKey => Path.Combine(AgentDirectory, "node.key");

    /// <summary>The embedded agent's kubelet serving certificate (port 10250), signed by the cluster CA.</summary>
    public string KubeletServingCertificate => Path.Combine(TlsDirectory, "kubelet-serving.crt");

    public string KubeletServingKey => Path.Combine(TlsDirectory, "kubelet-serving.key");

    /// <summary>A joined agent's kubelet serving certificate, issued by the server at join.</summary>
    public string AgentKubeletServingCertificate => Path.Combine(AgentDirectory, "kubelet-serving.crt");

    public string AgentKubeletServingKey => Path.Combine(AgentDirectory, "kubelet-serving.key");

    /// <summary>containerd's config, state, socket and images, and the kubelet's pod directories.</summary>
    public string ContainerdDirectory => Path.Combine(AgentDirectory, "containerd");

    public string KubeletDirectory => Path.Combine(AgentDirectory, "kubelet");

    public string AgentKubeconfig => Path.Combine(AgentDirectory, "kubelet.kubeconfig");

    /// <summary>The certificate of a client identity, by its short file name (admin, kube-scheduler, node, …).</summary>
    public string ClientCertificate(string name) => Path.Combine(TlsDirectory, $"client-{name}.crt");

    public string ClientKey(string name) => Path.Combine(TlsDirectory, $"client-{name}.key");

    /// <summary>Creates the directories the server needs and tightens their modes if they already exist.</summary>
    public void EnsureServerLayout()
    {
        EnsureDirectory(Root);
        EnsureDirectory(TlsDirectory);
        EnsureDirectory(DatabaseDirectory);
    }

    public void EnsureAgentLayout()
    {
        EnsureDirectory(Root);
        EnsureDirectory(AgentDirectory);
    }

    public static void WriteSecret(string path, string content) => WriteAtomically(path, content, SecretMode);

    public static void WritePublic(string path, string content) => WriteAtomically(path, content, PublicMode);

    private static void EnsureDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, DirectoryMode);
        File.SetUnixFileMode(path, DirectoryMode);
    }

    private static void WriteAtomically(string path, string content, UnixFileMode mode)
    {
        string temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        using (var stream = new FileStream(temporary, options))
        {
            byte[] bytes = Encoding.UTF8.GetBytes(content);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        // UnixCreateMode is filtered by the umask and ignored for an existing file; set the mode explicitly.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, mode);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
