using System.CommandLine;
using Skiff.Hosting;

namespace Skiff.Commands;

/// <summary><c>skiff version</c>: the skiff build and the Kubernetes API version it serves.</summary>
internal static class VersionCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("version", "Print the skiff version and the Kubernetes API version it serves.");
        command.SetAction(_ =>
        {
            ServerVersionInfo version = ServerVersionInfo.Current();
            output.WriteLine($"skiff {ServerVersionInfo.SkiffVersion()}");
            output.WriteLine($"Kubernetes API {version.GitVersion} ({version.Platform})");
            return SkiffCommandLine.Success;
        });
        return command;
    }
}
