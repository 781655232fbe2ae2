"""Every limit the app and the engine enforce, in one place (the README lists them)."""

MAX_UPLOAD_MB = 20  # per file; .streamlit/config.toml's server.maxUploadSize matches it
MAX_IMAGES_PER_UPLOAD = 20
MAX_IMAGE_PIXELS = 50_000_000  # decoded width x height; larger images are refused as likely bombs
MAX_FACES_PER_IMAGE = 60  # the most confident faces are kept beyond that
DETECTION_MAX_SIDE = 640  # faces are searched on a copy no larger than this (YuNet)
HAAR_MAX_SIDE = 320  # Haar's cost grows with pixels x scales: 320 px keeps it near 15 ms a frame
FLOW_MAX_SIDE = 320  # boxes are moved between detections by optical flow on a grey copy no larger than this
REDETECT_SECONDS = 0.15  # a stream's faces are searched again at least this often; flow moves them between
QUICK_SEARCH_SIDE = 320  # those searches look at a copy this large (YuNet: 6 ms against 22 ms at 640 px) ...
FULL_SEARCH_SECONDS = 1.0  # ... but one a second searches the full DETECTION_MAX_SIDE, for small faces
HAAR_PHOTO_MAX_SIDE = 1024  # a still photo may cost more than a frame: 0.3-0.5 s here against 15 ms
ANALYSIS_MAX_SIDE = 2048  # photos are decoded at most this large to find and crop faces (boxes stay full-size)
DISPLAY_MAX_SIDE = 1280  # the annotated image shown in the page; a full-size one is made only for download
MAX_VIDEO_MB = 200  # per video file
MAX_VIDEO_SECONDS = 600  # ten minutes
MAX_VIDEO_PIXELS = 3840 * 2160  # per frame: 4K; 8K is refused
VIDEO_OUTPUT_MAX_SIDE = 1280  # video frames are analyzed and annotated at most this large (boxes stay full-size)
MAX_CONCURRENT_ANALYSES = 2  # photos analyzed at once in one server process; more wait their turn
BATCH_VIDEO_PART_SECONDS = 60  # the batch command splits longer videos into parts of this length, one task each
RECORDING_EVERY_SECONDS = 0.5  # a Live recording samples each face's reading twice a second ...
RECORDING_MAX_MINUTES = 60  # ... for at most an hour (about 50 bytes a face a sample: 1 MB for 3 faces, 30 min)
