namespace Skiff.TestKit.Processes;

/// <summary>Removes the temp directories child processes worked in.</summary>
public static class TempDirectories
{
    /// <summary>Deletes <paramref name="path"/> with everything in it; a leftover temp directory is harmless, failing a run over it is not.</summary>
    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean up.
        }
        catch (UnauthorizedAccessException)
        {
            // Left for the OS to clean up.
        }
    }
}
