using Grpc.Core;
using Skiff.Agent.Runtime.Cri;
using Skiff.Agent.Network;

namespace Skiff.Agent.Runtime;

/// <summary>
/// The sandbox (pause) image, built on the node with no download: <c>pause.c</c> (embedded in this assembly) compiled with
/// <c>gcc -static</c> into a one-layer OCI image and imported into containerd's <c>k8s.io</c> namespace with <c>ctr</c>.
/// </summary>
public static class PauseImage
{
    /// <summary>The image reference containerd's <c>sandbox_image</c> points at.</summary>
    public const string Name = "skiff.local/pause:1";

    /// <summary>Compiles the pause program into <paramref name="workDir"/> (kept for the next start) and returns its path.</summary>
    public static async Task<string> BuildAsync(string workDir, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDir);
        var source = Path.Combine(workDir, "pause.c");
        var binary = Path.Combine(workDir, "pause");
        var stream = typeof(PauseImage).Assembly.GetManifestResourceStream("Skiff.Agent.Runtime.pause.c")
            ?? throw new InvalidOperationException("the pause.c resource is missing from Skiff.Agent");
        string text;
        using (var reader = new StreamReader(stream))
        {
            text = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        if (File.Exists(binary) && File.Exists(source) && await File.ReadAllTextAsync(source, cancellationToken).ConfigureAwait(false) == text)
        {
            return binary;
        }
        await File.WriteAllTextAsync(source, text, cancellationToken).ConfigureAwait(false);
        await NetCommand.Host.RunAsync("gcc", ["-static", "-Os", "-s", "-o", binary, source], cancellationToken: cancellationToken).ConfigureAwait(false);
        return binary;
    }

    /// <summary>
    /// Builds the image, imports it through containerd's socket and waits until the CRI image service lists it (the CRI plugin
    /// learns of imports through events, a moment later).
    /// </summary>
    public static async Task ImportAsync(ContainerdOptions options, CriClient client, CancellationToken cancellationToken)
    {
        var workDir = Path.Combine(options.DataDir, "pause");
        var binary = await BuildAsync(workDir, cancellationToken).ConfigureAwait(false);
        var archive = Path.Combine(workDir, "pause.oci.tar");
        await OciImageArchive.WriteAsync(archive, options.SandboxImage, [OciLayerEntry.File("pause", binary)], ["/pause"], cancellationToken)
            .ConfigureAwait(false);
        await ImportArchiveAsync(options, client, archive, options.SandboxImage, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Imports an OCI archive named <paramref name="name"/> and waits until CRI's ImageStatus reports it.</summary>
    public static async Task ImportArchiveAsync(ContainerdOptions options, CriClient client, string archive, string name,
        CancellationToken cancellationToken)
    {
        await NetCommand.Host.RunAsync(options.CtrPath, ["-n", "k8s.io", "--address", options.SocketPath, "images", "import", archive], cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ReadyTimeout);
        while (true)
        {
            try
            {
                var status = await client.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = name } },
                    client.Options(timeout.Token, TimeSpan.FromSeconds(5))).ConfigureAwait(false);
                if (status.Image is not null)
                {
                    return;
                }
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Unknown)
            {
                // Not serving yet; poll again.
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token).ConfigureAwait(false);
        }
    }
}
