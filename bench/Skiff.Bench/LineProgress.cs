namespace Skiff.Bench;

/// <summary>Writes progress lines synchronously (unlike <see cref="Progress{T}"/>, which posts them to the thread pool).</summary>
internal sealed class LineProgress(TextWriter output) : IProgress<string>
{
    public void Report(string value) => output.WriteLine("... " + value);
}
