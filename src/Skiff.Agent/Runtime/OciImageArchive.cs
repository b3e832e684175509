using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Skiff.Agent.Runtime;

/// <summary>One entry of an image's root filesystem: a file copied from the host, a directory or a symlink.</summary>
/// <remarks>A null <see cref="Mode"/> means 0755.</remarks>
public sealed record OciLayerEntry(string PathInImage, string? HostFile = null, string? LinkTarget = null, UnixFileMode? Mode = null)
{
    public const UnixFileMode DefaultMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public static OciLayerEntry Directory(string path) => new(path);

    public static OciLayerEntry File(string path, string hostFile) => new(path, HostFile: hostFile);

    public static OciLayerEntry Symlink(string path, string target) => new(path, LinkTarget: target);
}

/// <summary>
/// Packs a one-layer OCI image as an image-layout tar (oci-layout, index.json, blobs/sha256/…) that
/// <c>ctr images import</c> accepts: a gzipped layer, its config (with the uncompressed diff id) and a manifest, named through
/// the <c>io.containerd.image.name</c> annotation. Nothing is downloaded; the layer holds only the given entries.
/// </summary>
public static class OciImageArchive
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private const string ConfigType = "application/vnd.oci.image.config.v1+json";
    private const string LayerType = "application/vnd.oci.image.layer.v1.tar+gzip";

    /// <summary>Writes the image <paramref name="name"/> (fully qualified, with a tag) to <paramref name="archivePath"/>.</summary>
    public static async Task WriteAsync(string archivePath, string name, IReadOnlyList<OciLayerEntry> entries, IReadOnlyList<string> entrypoint,
        CancellationToken cancellationToken)
    {
        var layerTar = await LayerTarAsync(entries, cancellationToken).ConfigureAwait(false);
        var layerGz = Gzip(layerTar);

        var config = new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject
            {
                ["Entrypoint"] = new JsonArray([.. entrypoint.Select(e => JsonValue.Create(e))]),
                ["Env"] = new JsonArray("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(Digest(layerTar)) },
        };
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = Descriptor(ConfigType, configBytes),
            ["layers"] = new JsonArray(Descriptor(LayerType, layerGz)),
        };
        var manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        var manifestDescriptor = Descriptor(ManifestType, manifestBytes);
        manifestDescriptor["platform"] = new JsonObject { ["architecture"] = "amd64", ["os"] = "linux" };
        manifestDescriptor["annotations"] = new JsonObject
        {
            ["io.containerd.image.name"] = name,
            ["org.opencontainers.image.ref.name"] = name[(name.LastIndexOf(':') + 1)..],
        };
        var index = new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(manifestDescriptor) };

        var file = new FileStream(archivePath, FileMode.Create, FileAccess.Write);
        await using (file.ConfigureAwait(false))
        {
            var writer = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: true);
            await using (writer.ConfigureAwait(false))
            {
                await AddAsync(writer, "oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"), cancellationToken).ConfigureAwait(false);
                await AddAsync(writer, "index.json", Encoding.UTF8.GetBytes(index.ToJsonString()), cancellationToken).ConfigureAwait(false);
                foreach (var blob in new[] { layerGz, configBytes, manifestBytes })
                {
                    await AddAsync(writer, "blobs/sha256/" + Hex(blob), blob, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task<byte[]> LayerTarAsync(IReadOnlyList<OciLayerEntry> entries, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            foreach (var e in entries)
            {
                var path = e.PathInImage.TrimStart('/');
                PaxTarEntry entry;
                if (e.LinkTarget is not null)
                {
                    entry = new PaxTarEntry(TarEntryType.SymbolicLink, path) { LinkName = e.LinkTarget };
                }
                else if (e.HostFile is not null)
                {
                    entry = new PaxTarEntry(TarEntryType.RegularFile, path)
                    {
                        DataStream = new MemoryStream(await File.ReadAllBytesAsync(e.HostFile, cancellationToken).ConfigureAwait(false)),
                    };
                }
                else
                {
                    entry = new PaxTarEntry(TarEntryType.Directory, path.TrimEnd('/') + "/");
                }
                entry.Mode = e.Mode ?? OciLayerEntry.DefaultMode;
                entry.ModificationTime = DateTimeOffset.UnixEpoch;
                await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
            }
        }
        return buffer.ToArray();
    }

    private static async Task AddAsync(TarWriter writer, string path, byte[] content, CancellationToken cancellationToken)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, path)
        {
            DataStream = new MemoryStream(content),
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            ModificationTime = DateTimeOffset.UnixEpoch,
        };
        await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    private static JsonObject Descriptor(string mediaType, byte[] blob) =>
        new() { ["mediaType"] = mediaType, ["digest"] = Digest(blob), ["size"] = blob.LongLength };

    private static string Digest(byte[] blob) => "sha256:" + Hex(blob);

    private static string Hex(byte[] blob) => Convert.ToHexStringLower(SHA256.HashData(blob));
}
