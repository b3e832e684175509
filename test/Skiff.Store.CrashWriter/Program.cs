using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Skiff.Store.CrashWriter;

/// <summary>
/// Writes to a SQLite store from many tasks until it is killed, printing "ack KEY REVISION" after each acknowledged write.
/// Values are derived from their key, so a reader can tell a whole value from a torn one.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 1)
        {
            await Console.Error.WriteLineAsync("usage: Skiff.Store.CrashWriter DATABASE");
            return 2;
        }

        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSkiffStore(o => o.Endpoint = args[0]);
        await using ServiceProvider provider = services.BuildServiceProvider();
        IRevisionedStore store = provider.GetRequiredService<IRevisionedStore>();
        var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var outputLock = new Lock();
        await Console.Out.FlushAsync();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(writer => Task.Run(async () =>
        {
            for (int i = 0; ; i++)
            {
                string key = string.Create(CultureInfo.InvariantCulture, $"/crash/{writer}/{i}");
                WriteResult result = await store.CreateAsync(key, ValueFor(key), null, CancellationToken.None);
                lock (outputLock)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ack {key} {result.Revision}"));
                }
            }
        })));
        return 0;
    }

    /// <summary>1 KiB made from the key's hash, repeated.</summary>
    public static byte[] ValueFor(string key)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        byte[] value = new byte[1024];
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = hash[i % hash.Length];
        }

        return value;
    }
}
