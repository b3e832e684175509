using Skiff.Commands;

namespace Skiff;

internal static class Program
{
    public static Task<int> Main(string[] args) => SkiffCommandLine.RunAsync(args, Console.Out, Console.Error);
}
